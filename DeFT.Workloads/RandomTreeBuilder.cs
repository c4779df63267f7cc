using DeFT.Core.Trees;

namespace DeFT.Workloads;

/// <summary>Random forests for tests: shapes, token counts, zero-length nodes, scattered slots and mixed queries.</summary>
public sealed record RandomTreeBuilder
{
    /// <summary>Number of nodes.</summary>
    public int Nodes { get; init; } = 20;

    /// <summary>Number of roots (a forest when &gt; 1).</summary>
    public int Roots { get; init; } = 1;

    /// <summary>Largest token count of a node (counts are uniform in [0, MaxTokens]).</summary>
    public int MaxTokens { get; init; } = 40;

    /// <summary>Slots are a random subset of [0, Nodes·MaxTokens·SlotSpread) in random order.</summary>
    public int SlotSpread { get; init; } = 2;

    /// <summary>Chance that an internal node is also a query; leaves always are.</summary>
    public double InternalQueryChance { get; init; } = 0.2;

    /// <summary>Chance that a query sees only a random prefix of its node.</summary>
    public double PartialQueryChance { get; init; } = 0.2;

    /// <summary>Builds a random tree and queries from <paramref name="seed"/>.</summary>
    public (DecodingTree Tree, TreeQuery[] Queries, int SlotCount) Build(int seed)
    {
        var rng = new Random(seed);
        int slotCount = Math.Max(1, Nodes * MaxTokens * SlotSpread);
        var pool = Enumerable.Range(0, slotCount).OrderBy(_ => rng.Next()).ToArray();
        int used = 0;
        IEnumerable<int> Take(int n) { var s = pool.AsSpan(used, n).ToArray(); used += n; return s; }

        var tree = new DecodingTree();
        var ids = new List<int>();
        for (int i = 0; i < Nodes; i++)
        {
            int tokens = rng.Next(MaxTokens + 1);
            ids.Add(i < Roots ? tree.AddRoot(Take(tokens)) : tree.Fork(ids[rng.Next(ids.Count)], Take(tokens)));
        }
        var queries = new List<TreeQuery>();
        foreach (int n in tree.PreOrder())
        {
            bool leaf = tree.Children(n).Count == 0;
            if (!leaf && rng.NextDouble() >= InternalQueryChance) continue;
            int count = tree.Slots(n).Count;
            int visible = rng.NextDouble() < PartialQueryChance ? rng.Next(count + 1) : count;
            if (tree.PathLength(n) - count + visible == 0) continue; // would see nothing
            queries.Add(new TreeQuery(n, visible));
        }
        if (queries.Count == 0)
        {
            // Every candidate saw nothing: give the first root a token and query it.
            int root = tree.Roots[0];
            tree.Append(root, Take(1));
            queries.Add(new TreeQuery(root, tree.Slots(root).Count));
        }
        var shuffled = queries.OrderBy(_ => rng.Next()).ToArray();
        return (tree, shuffled, slotCount);
    }
}
