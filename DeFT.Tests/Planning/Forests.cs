using DeFT.Core.Trees;

namespace DeFT.Tests.Planning;

/// <summary>
/// Joins trees with their queries into one forest (slots shifted apart, node ids renumbered in pre-order): the CPU
/// accelerator pays ~0.2 s per kernel launch, so the device planner's tests plan many trees per plan.
/// </summary>
internal static class Forests
{
    public static (DecodingTree Tree, TreeQuery[] Queries) Join(IEnumerable<(DecodingTree Tree, TreeQuery[] Queries)> cases)
    {
        var parents = new List<int>();
        var slots = new List<IReadOnlyList<int>>();
        var queries = new List<TreeQuery>();
        int slotBase = 0;
        foreach (var (tree, treeQueries) in cases)
        {
            var order = tree.PreOrder();
            var id = new Dictionary<int, int>();
            int maxSlot = -1;
            foreach (int node in order)
            {
                id[node] = parents.Count;
                int parent = tree.Parent(node);
                parents.Add(parent < 0 ? -1 : id[parent]);
                slots.Add(tree.Slots(node).Select(s => s + slotBase).ToArray());
                maxSlot = Math.Max(maxSlot, tree.Slots(node).DefaultIfEmpty(-1).Max());
            }
            queries.AddRange(treeQueries.Select(q => q with { Node = id[q.Node] }));
            slotBase += maxSlot + 1;
        }
        return (DecodingTree.FromParents(parents, slots), queries.ToArray());
    }
}
