using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Workloads;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>
/// Random trees and forests from <see cref="RandomTreeBuilder"/>: random shapes, zero-length nodes, scattered slots,
/// queries on internal nodes and on node prefixes, shuffled query order. Small sizes: the CPU accelerator is slow.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class RandomTreeTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly RandomTreeBuilder Tree = new() { Nodes = 8, MaxTokens = 24, InternalQueryChance = 0.3, PartialQueryChance = 0.3 };
    private static readonly RandomTreeBuilder Forest = new() { Nodes = 10, Roots = 3, MaxTokens = 20, InternalQueryChance = 0.3, PartialQueryChance = 0.3 };

    public static TheoryData<PlanMethod, string, int> Cases()
    {
        var data = new TheoryData<PlanMethod, string, int>();
        foreach (var method in Enum.GetValues<PlanMethod>())
        {
            data.Add(method, nameof(Tree), 1);
            data.Add(method, nameof(Tree), 2);
            data.Add(method, nameof(Forest), 3);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Random_trees_match_the_reference(PlanMethod method, string shape, int seed)
    {
        var builder = shape == nameof(Forest) ? Forest : Tree;
        var tree = TreeCase.FromRandom(builder, seed);
        if (shape == nameof(Forest)) tree.Tree.Roots.Should().HaveCount(3);
        // Blocks of 48 tokens: Flatten's items straddle nodes and end mid-tile; queries usually merge several partials.
        // The forest runs with D = 128 and G = 8, the trees with D = 64 and G = 4.
        var heads = shape == nameof(Forest) ? new HeadConfig(16, 2, 128) : new HeadConfig(8, 2, 64);
        KernelCheck.MatchesReference(fixture, heads, tree, method, new PlannerOptions { BlockTokens = 48 }, log: log);
    }
}
