using DeFT.Core;
using DeFT.Core.Planning;

namespace DeFT.Tests.Kernels;

/// <summary>
/// A plan in which every query has one partial (its whole path in one work item) needs no merge: the device plan says
/// so (<c>DevicePlan.Merges</c>) and <c>Run</c> skips the merge launch, the rows being final in the partial kernel.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class MergeSkipTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    [Theory, AllMethods]
    public void Plans_without_a_merge_skip_it_and_still_match_the_reference(PlanMethod method)
    {
        // Four separate 30-token roots, each queried at its end: one partial per query with 256-token blocks.
        var tree = TreeCase.FromSpec("4_30");
        var plan = KernelCheck.MatchesReference(fixture, Heads, tree, method);
        Enumerable.Range(0, plan.QueryCount).Select(q => plan.PartialsOf(q).Length).Should().OnlyContain(n => n == 1);
        MergesOf(plan).Should().BeFalse();
    }

    [Theory, AllMethods]
    public void Plans_with_a_shared_prefix_cut_in_blocks_merge(PlanMethod method)
    {
        var tree = TreeCase.FromSpec("1,3_24,8");
        var plan = KernelCheck.MatchesReference(fixture, Heads, tree, method, new PlannerOptions { BlockTokens = 16 });
        MergesOf(plan).Should().BeTrue();
    }

    private bool MergesOf(AttentionPlan plan)
    {
        var attention = fixture.For(Heads);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        return devicePlan.Merges;
    }
}
