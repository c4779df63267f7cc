using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>DESIGN.md §5 tree shapes, scaled down for the CPU accelerator, for every plan method.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TreeShapeTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);

    [Theory, AllMethods]
    public void Single_query_equals_plain_decode(PlanMethod method)
    {
        // One sequence, one query: every method degenerates to ordinary decode attention over 70 tokens.
        var heads = new HeadConfig(8, 2, 64);
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 70));
        var single = new TreeCase("single sequence of 70", tree, [new TreeQuery(root, 70)], 70);
        KernelCheck.MatchesReference(fixture, heads, single, method, log: log);
    }

    [Theory, AllMethods]
    public void No_sharing_between_independent_sequences(PlanMethod method) =>
        KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("4_40"), method, log: log);

    [Theory, AllMethods]
    public void Forest_with_several_roots(PlanMethod method) =>
        KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("3,6_30,20"), method,
            new PlannerOptions { BlockTokens = 64 }, log: log);
}
