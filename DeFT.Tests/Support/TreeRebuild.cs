using DeFT.Core.Trees;

namespace DeFT.Tests.Support;

/// <summary>Rebuilds a tree from scratch with the same structure and slots, to compare plans of edited trees with plans of fresh ones.</summary>
internal static class TreeRebuild
{
    /// <summary>The live structure rebuilt from a parent array in pre-order (same slots); node i of the new tree is pre-order node i.</summary>
    public static (DecodingTree Tree, Dictionary<int, int> IdMap) FromPreOrder(DecodingTree tree)
    {
        var pre = tree.PreOrder();
        var index = new Dictionary<int, int>();
        for (int i = 0; i < pre.Length; i++) index[pre[i]] = i;
        var parents = pre.Select(n => tree.Parent(n) < 0 ? -1 : index[tree.Parent(n)]).ToArray();
        var slots = pre.Select(n => (IReadOnlyList<int>)tree.Slots(n).ToArray()).ToArray();
        return (DecodingTree.FromParents(parents, slots), index);
    }
}
