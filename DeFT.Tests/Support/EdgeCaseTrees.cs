using DeFT.Core.Trees;
using DeFT.Workloads;

namespace DeFT.Tests.Support;

/// <summary>The edge cases of DESIGN.md §5 as named trees with queries (names keep theory cases readable).</summary>
internal static class EdgeCaseTrees
{
    public static readonly string[] Names =
    {
        "single-query", "no-sharing 8_50", "forest-3-roots", "zero-length-nodes", "siblings 1,300_10,1",
        "block-boundary 1,4_256,256", "long-path 1,2_20000,500", "many-queries 1,1024_64,2", "internal-queries",
        "one-node-many-lengths", "reused-slots", "chain-2000",
    };

    /// <summary>Names whose double-precision evaluation is cheap enough for every head config.</summary>
    public static readonly string[] SmallNames =
    {
        "single-query", "no-sharing 8_50", "forest-3-roots", "zero-length-nodes", "siblings 1,300_10,1",
        "internal-queries", "one-node-many-lengths", "reused-slots",
    };

    public static (DecodingTree Tree, TreeQuery[] Queries) Build(string name) => name switch
    {
        "single-query" => SingleQuery(),
        "no-sharing 8_50" => Spec("8_50"),
        "forest-3-roots" => Spec("3,7,12_5,9,4"),
        "zero-length-nodes" => ZeroLengthNodes(),
        "siblings 1,300_10,1" => Spec("1,300_10,1"),
        "block-boundary 1,4_256,256" => Spec("1,4_256,256"),
        "long-path 1,2_20000,500" => Spec("1,2_20000,500"),
        "many-queries 1,1024_64,2" => Spec("1,1024_64,2"),
        "internal-queries" => InternalQueries(),
        "one-node-many-lengths" => OneNodeManyLengths(),
        "reused-slots" => ReusedSlots(),
        "chain-2000" => Chain(2000),
        _ => throw new ArgumentException($"unknown edge case {name}", nameof(name)),
    };

    /// <summary>One more than the largest slot of the tree.</summary>
    public static int SlotCount(DecodingTree tree) =>
        tree.PreOrder().SelectMany(n => tree.Slots(n)).DefaultIfEmpty(-1).Max() + 1;

    private static (DecodingTree, TreeQuery[]) Spec(string spec)
    {
        var w = TreeSpec.Build(spec);
        return (w.Tree, w.Queries);
    }

    private static (DecodingTree, TreeQuery[]) SingleQuery()
    {
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 37));
        return (tree, new[] { new TreeQuery(root, 37) });
    }

    /// <summary>
    /// A zero-length internal node, zero-length leaves (queried with 0 visible tokens), a query seeing 0 tokens
    /// of a node that has tokens, and a zero-length second root with a child.
    /// </summary>
    private static (DecodingTree, TreeQuery[]) ZeroLengthNodes()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(Enumerable.Range(0, 10));
        int z = tree.Fork(r, Array.Empty<int>());
        int a = tree.Fork(z, Enumerable.Range(10, 5));
        int a1 = tree.Fork(a, Array.Empty<int>());
        int b = tree.Fork(z, Array.Empty<int>());
        int c = tree.Fork(z, Enumerable.Range(15, 3));
        int e = tree.Fork(r, Enumerable.Range(18, 4));
        int y = tree.AddRoot(Array.Empty<int>());
        int y1 = tree.Fork(y, Enumerable.Range(22, 3));
        return (tree, new[]
        {
            new TreeQuery(a1, 0), new TreeQuery(b, 0), new TreeQuery(z, 0), new TreeQuery(c, 0), new TreeQuery(c, 3),
            new TreeQuery(e, 2), new TreeQuery(r, 4), new TreeQuery(y1, 3),
        });
    }

    private static (DecodingTree, TreeQuery[]) InternalQueries()
    {
        var tree = TreeSpec.Build("1,3,9_4,3,2").Tree;
        return (tree, tree.AllNodeQueries());
    }

    /// <summary>Six queries on one node with visible lengths 3, 7, 10, 7, 0, 1 (caller order shuffled) plus queries around it.</summary>
    private static (DecodingTree, TreeQuery[]) OneNodeManyLengths()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(Enumerable.Range(0, 6));
        int n = tree.Fork(r, Enumerable.Range(6, 10));
        int m = tree.Fork(n, Enumerable.Range(16, 2));
        int s = tree.Fork(r, Enumerable.Range(18, 3));
        return (tree, new[]
        {
            new TreeQuery(n, 7), new TreeQuery(s, 3), new TreeQuery(n, 3), new TreeQuery(m, 2), new TreeQuery(n, 10),
            new TreeQuery(n, 7), new TreeQuery(r, 2), new TreeQuery(n, 0), new TreeQuery(n, 1),
        });
    }

    /// <summary>Scattered slot ids, slots freed by a prune and reused (in reverse) by a new branch.</summary>
    private static (DecodingTree, TreeQuery[]) ReusedSlots()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 50, 3, 999, 12 });
        int a = tree.Fork(r, new[] { 7, 8, 400 });
        int b = tree.Fork(r, new[] { 1, 2 });
        tree.Fork(a, new[] { 77, 5000 });
        var freed = tree.Prune(a);
        int d = tree.Fork(r, freed.Reverse());
        tree.Fork(b, new[] { 100000, 0 });
        tree.Fork(d, new[] { 6, 4 });
        tree.Append(b, 9);
        return (tree, tree.LeafQueries().Append(new TreeQuery(d, 2)).ToArray());
    }

    /// <summary>A chain of <paramref name="depth"/> nodes (every 10th one empty, slots descending), queried at the leaf and inside.</summary>
    public static (DecodingTree, TreeQuery[]) Chain(int depth)
    {
        var tree = new DecodingTree();
        int slot = 3 * depth;
        int node = tree.AddRoot(new[] { slot-- });
        var nodes = new List<int> { node };
        for (int i = 1; i < depth; i++)
        {
            node = tree.Fork(node, i % 10 == 0 ? Array.Empty<int>() : new[] { slot-- });
            nodes.Add(node);
        }
        return (tree, new[]
        {
            new TreeQuery(nodes[^1], tree.Slots(nodes[^1]).Count), new TreeQuery(nodes[depth / 2], 0),
            new TreeQuery(nodes[depth / 2 + 1], 1), new TreeQuery(nodes[0], 1),
        });
    }
}
