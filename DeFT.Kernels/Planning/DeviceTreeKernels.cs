using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>Kernels that apply a step's uploaded changes to the <see cref="DeviceTree"/>: plain scatters, no shared memory.</summary>
internal static class DeviceTreeKernels
{
    /// <summary>Grid: one thread per changed node; each writes its node's four entries.</summary>
    public static void ScatterNodes(Index1D i, ArrayView<NodeRecord> records, DeviceTreeViews tree)
    {
        var r = records[i];
        tree.Live[r.Node] = r.Live;
        tree.Parent[r.Node] = r.Parent;
        tree.Count[r.Node] = r.Count;
        tree.SlotStart[r.Node] = r.SlotStart;
    }

    /// <summary>Grid: one thread per new token; each stores its slot id in the arena.</summary>
    public static void ScatterSlots(Index1D i, ArrayView<SlotWrite> writes, ArrayView<int> arena)
    {
        var w = writes[i];
        arena[w.Position] = w.Slot;
    }
}
