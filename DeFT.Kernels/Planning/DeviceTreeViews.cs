using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The decoding tree on the device, indexed by node row (<see cref="DeviceTree"/>; free rows have <see cref="Live"/> = 0),
/// every link a row: parent (-1 for a root), token count, where the node's KV-cache slot ids start in
/// <see cref="Arena"/> (each node's slots are contiguous), and the child links in
/// <see cref="DeFT.Core.Trees.DecodingTree"/>'s order (children in order, roots in order), so the device's depth-first
/// order is the host's by construction.
/// </summary>
internal struct DeviceTreeViews
{
    /// <summary>1 for a row a live node holds, 0 for a free one.</summary>
    public ArrayView<int> Live;
    /// <summary>The parent's row, -1 for a root.</summary>
    public ArrayView<int> Parent;
    /// <summary>Number of tokens of the node.</summary>
    public ArrayView<int> Count;
    /// <summary>Index into <see cref="Arena"/> of the node's first slot id.</summary>
    public ArrayView<int> SlotStart;
    /// <summary>The node's first child, -1 for a leaf.</summary>
    public ArrayView<int> FirstChild;
    /// <summary>The next child of the node's parent (for a root: the next root), -1 for the last.</summary>
    public ArrayView<int> NextSibling;
    /// <summary>The nodes' KV-cache slot ids, node by node.</summary>
    public ArrayView<int> Arena;
}
