using DeFT.Workloads;

namespace DeFT.Tests.Support;

/// <summary>The random tree shapes the property tests sweep (each with several seeds).</summary>
internal static class RandomTrees
{
    public static readonly int[] Seeds = { 1, 2, 3, 4, 5, 6 };

    /// <summary>Named builders: the default shape, forests, many zero-length nodes, and nodes spanning many blocks.</summary>
    public static readonly (string Name, RandomTreeBuilder Builder)[] Shapes =
    {
        ("default", new RandomTreeBuilder()),
        ("forest", new RandomTreeBuilder { Nodes = 30, Roots = 4, MaxTokens = 12 }),
        ("tiny-nodes", new RandomTreeBuilder { Nodes = 60, Roots = 2, MaxTokens = 3, InternalQueryChance = 0.5, PartialQueryChance = 0.5 }),
        ("long-nodes", new RandomTreeBuilder { Nodes = 8, MaxTokens = 300, SlotSpread = 3, InternalQueryChance = 0.4 }),
    };
}
