using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Workloads;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>
/// Random trees and forests from <see cref="RandomTreeBuilder"/>: random shapes, zero-length nodes, scattered slots,
/// queries on internal nodes and on node prefixes, shuffled query order. Small sizes: the CPU accelerator is slow.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class RandomTreeTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private sealed record RandomCase(RandomTreeBuilder Builder, int Seed, HeadConfig Heads, PlannerOptions Options);

    private static readonly RandomTreeBuilder Tree = new() { Nodes = 8, MaxTokens = 24, InternalQueryChance = 0.3, PartialQueryChance = 0.3 };
    private static readonly RandomTreeBuilder Forest = Tree with { Nodes = 10, Roots = 3, MaxTokens = 20 };

    // Blocks of 48 tokens: Flatten's items straddle nodes and end mid-tile; queries usually merge several partials.
    private static readonly PlannerOptions Blocks48 = new() { BlockTokens = 48 };

    private static readonly Dictionary<string, RandomCase> Cases = new()
    {
        ["tree 1, G 4"] = new(Tree, 1, new HeadConfig(8, 2, 64), Blocks48),
        ["tree 2, G 4"] = new(Tree, 2, new HeadConfig(8, 2, 64), Blocks48),
        ["forest of 3, G 8, D 128"] = new(Forest, 3, new HeadConfig(16, 2, 128), Blocks48),
        // At most 3 queries per item and G = 16: items are split by queries and every query fills a whole task.
        ["tree 4, G 16, 3 queries per item"] = new(Tree, 4, new HeadConfig(16, 1, 64), new PlannerOptions { BlockTokens = 64, MaxQueriesPerItem = 3 }),
    };

    public static TheoryData<PlanMethod, string> AllCases()
    {
        var data = new TheoryData<PlanMethod, string>();
        foreach (var method in Enum.GetValues<PlanMethod>())
            foreach (string name in Cases.Keys)
                data.Add(method, name);
        return data;
    }

    [Theory, MemberData(nameof(AllCases))]
    public void Random_trees_match_the_reference(PlanMethod method, string name)
    {
        var c = Cases[name];
        var tree = TreeCase.FromRandom(c.Builder, c.Seed);
        tree.Tree.Roots.Should().HaveCount(c.Builder.Roots);
        KernelCheck.MatchesReference(fixture, c.Heads, tree, method, c.Options, log: log);
    }
}
