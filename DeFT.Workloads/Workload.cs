using DeFT.Core.Trees;

namespace DeFT.Workloads;

/// <summary>A named decoding tree with its queries.</summary>
/// <param name="Name">Name used in reports (DESIGN.md §6).</param>
/// <param name="Tree">The tree; its slots are 0..TokenCount-1 unless stated otherwise.</param>
/// <param name="Queries">The queries to attend.</param>
/// <param name="Description">What the tree is, and where it came from.</param>
/// <param name="Synthetic">True when a real data file was missing and a tree of the same size stands in.</param>
public sealed record Workload(string Name, DecodingTree Tree, TreeQuery[] Queries, string Description, bool Synthetic = false)
{
    /// <summary>One more than the largest slot id in the tree: the KV store size it needs.</summary>
    public int SlotCount => Tree.PreOrder().SelectMany(n => Tree.Slots(n)).DefaultIfEmpty(-1).Max() + 1;
}
