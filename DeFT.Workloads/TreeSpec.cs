using System.Globalization;
using DeFT.Core.Trees;

namespace DeFT.Workloads;

/// <summary>
/// Tree-string specs such as <c>"1,4,16_1024,256,32"</c>: level l has n_l nodes of c_l tokens each; node j
/// of level l hangs under node ⌊j·n_{l−1}/n_l⌋ of level l−1. A first level with k &gt; 1 nodes is a forest.
/// The queries are the leaves.
/// </summary>
public static class TreeSpec
{
    /// <summary>Parses <paramref name="spec"/> into its per-level node counts and token counts.</summary>
    public static (int[] Counts, int[] Tokens) Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var halves = spec.Split('_');
        if (halves.Length != 2) throw new FormatException($"Tree spec '{spec}' must look like 'n0,n1,..._c0,c1,...'.");
        int[] Ints(string s) => s.Split(',').Select(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v : throw new FormatException($"Tree spec '{spec}': '{x}' is not a non-negative integer.")).ToArray();
        var counts = Ints(halves[0]);
        var tokens = Ints(halves[1]);
        if (counts.Length != tokens.Length)
            throw new FormatException($"Tree spec '{spec}' has {counts.Length} node counts but {tokens.Length} token counts.");
        if (counts.Any(c => c < 1)) throw new FormatException($"Tree spec '{spec}': every level needs at least one node.");
        return (counts, tokens);
    }

    /// <summary>Builds the tree of <paramref name="spec"/> with consecutive slots, and one query per leaf.</summary>
    public static Workload Build(string spec, string? name = null)
    {
        var (tree, _) = BuildLevels(spec);
        return new Workload(name ?? spec, tree, tree.LeafQueries(), $"tree spec {spec}");
    }

    /// <summary>Builds the tree of <paramref name="spec"/>; also returns the node ids of each level.</summary>
    public static (DecodingTree Tree, int[][] Levels) BuildLevels(string spec)
    {
        var (counts, tokens) = Parse(spec);
        var tree = new DecodingTree();
        var slots = new SlotCounter();
        var levels = new int[counts.Length][];
        for (int l = 0; l < counts.Length; l++)
        {
            levels[l] = new int[counts[l]];
            for (int j = 0; j < counts[l]; j++)
                levels[l][j] = l == 0 ? tree.AddRoot(slots.Take(tokens[l]))
                    : tree.Fork(levels[l - 1][ParentIndex(counts, l, j)], slots.Take(tokens[l]));
        }
        return (tree, levels);
    }

    /// <summary>The index in level <paramref name="level"/> − 1 of the parent of node <paramref name="j"/> of level <paramref name="level"/> (≥ 1).</summary>
    public static int ParentIndex(int[] counts, int level, int j) => (int)((long)j * counts[level - 1] / counts[level]);
}
