using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>The kernel that applies a step's uploaded changes to the <see cref="DeviceTree"/>: a plain scatter, no shared memory.</summary>
internal static class DeviceTreeKernels
{
    /// <summary>
    /// Grid: one thread per changed node or new token, whichever are more; each writes its node's entries and stores its
    /// token's slot id in the arena.
    /// </summary>
    public static void Scatter(Index1D i, ArrayView<NodeRecord> records, ArrayView<SlotWrite> writes, DeviceTreeViews tree)
    {
        if (i < records.Length)
        {
            var r = records[i];
            tree.Live[r.Row] = r.Live;
            tree.Parent[r.Row] = r.Parent;
            tree.Count[r.Row] = r.Count;
            tree.SlotStart[r.Row] = r.SlotStart;
            tree.FirstChild[r.Row] = r.FirstChild;
            tree.NextSibling[r.Row] = r.NextSibling;
        }
        if (i < writes.Length)
        {
            var w = writes[i];
            tree.Arena[w.Position] = w.Slot;
        }
    }
}
