namespace DeFT.Kernels.Planning;

/// <summary>
/// One row of the <see cref="DeviceTree"/>, uploaded when its node is new or changed or the row is freed: its parent's row
/// (-1 for a root), its token count, where its slots start in the slot arena, whether a live node holds it (1) or not (0),
/// and its first child's and next sibling's rows in the host tree's child order (-1: none).
/// </summary>
internal readonly record struct NodeRecord(int Row, int Parent, int Count, int SlotStart, int Live, int FirstChild, int NextSibling);
