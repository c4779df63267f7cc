using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The decoding tree on the device, indexed by node id (removed ids included, <see cref="Live"/> = 0): parent (-1 for a
/// root), token count, and where the node's KV-cache slot ids start in <see cref="Arena"/> (each node's slots are contiguous).
/// Siblings are ordered by node id, as <see cref="DeFT.Core.Trees.DecodingTree"/> orders its children.
/// </summary>
internal struct DeviceTreeViews
{
    /// <summary>1 for a live node, 0 for a removed (or never seen) id.</summary>
    public ArrayView<int> Live;
    /// <summary>Parent node id, -1 for a root.</summary>
    public ArrayView<int> Parent;
    /// <summary>Number of tokens of the node.</summary>
    public ArrayView<int> Count;
    /// <summary>Index into <see cref="Arena"/> of the node's first slot id.</summary>
    public ArrayView<int> SlotStart;
    /// <summary>The nodes' KV-cache slot ids, node by node.</summary>
    public ArrayView<int> Arena;
}
