namespace DeFT.Kernels.Planning;

/// <summary>
/// One node's entry in the <see cref="DeviceTree"/>, uploaded when the node is new or changed: its parent (-1 for a root),
/// its token count, where its slots start in the slot arena, and whether it is live (1) or removed (0).
/// </summary>
internal readonly record struct NodeRecord(int Node, int Parent, int Count, int SlotStart, int Live);
