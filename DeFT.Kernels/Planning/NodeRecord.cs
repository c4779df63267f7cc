namespace DeFT.Kernels.Planning;

/// <summary>
/// One node's entry in the <see cref="DeviceTree"/>, uploaded when the node is new or changed: its parent (-1 for a root),
/// its token count, where its slots start in the slot arena, whether it is live (1) or removed (0), and its first child
/// and next sibling in the host tree's child order (-1: none).
/// </summary>
internal readonly record struct NodeRecord(int Node, int Parent, int Count, int SlotStart, int Live, int FirstChild, int NextSibling);
