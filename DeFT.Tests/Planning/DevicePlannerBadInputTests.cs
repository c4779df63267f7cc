using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Kernels.Planning;
using DeFT.Tests.Kernels;

namespace DeFT.Tests.Planning;

/// <summary>Bad input to the device planner gets a clear exception before anything is launched, and leaves the device plan as it was.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DevicePlannerBadInputTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(4, 2, 64);

    private static (DecodingTree Tree, TreeQuery[] Queries) SmallTree()
    {
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 6));
        int leaf = tree.Fork(root, new[] { 6, 7 });
        return (tree, new[] { new TreeQuery(leaf, 2) });
    }

    [Fact]
    public void Bad_input_throws_a_clear_exception_and_keeps_the_plan_held()
    {
        var attention = fixture.For(Heads);
        var planner = fixture.PlannerFor(Heads);
        using var target = attention.CreatePlan();
        var (tree, queries) = SmallTree();
        planner.Plan(target, tree, queries);

        planner.Invoking(p => p.Plan(target, tree, queries, PlanMethod.Sequence)).Should().Throw<NotSupportedException>().WithMessage("*Flatten, Node and Adaptive*not Sequence*host*");
        planner.Invoking(p => p.Plan(target, tree, queries, PlanMethod.Adaptive, new PlannerOptions { Target = ParallelismTarget.For(Heads, 132) }))
            .Should().Throw<NotSupportedException>().WithMessage("*Adaptive*Target*host*");
        planner.Invoking(p => p.Plan(target, tree, Array.Empty<TreeQuery>())).Should().Throw<TreeException>().WithMessage("*At least one query*");
        planner.Invoking(p => p.Plan(target, tree, new[] { new TreeQuery(5, 1) })).Should().Throw<TreeException>().WithMessage("*node 5*unknown or removed*");
        planner.Invoking(p => p.Plan(target, tree, new[] { new TreeQuery(1, 3) })).Should().Throw<TreeException>().WithMessage("*sees 3 tokens*has 2*");
        planner.Invoking(p => p.Plan(target, tree, queries, PlanMethod.Flatten, new PlannerOptions { BlockTokens = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*BlockTokens*");
        using var foreign = fixture.For(new HeadConfig(2, 1, 64)).CreatePlan();
        planner.Invoking(p => p.Plan(foreign, tree, queries)).Should().Throw<ArgumentException>().WithMessage("*another TreeAttention*");

        target.HasPlan.Should().BeTrue("a rejected call launches nothing and leaves the last plan in place");
        DevicePlanComparison.AssertHolds(attention, target, TreePlanner.Plan(tree, queries), "the plan before the bad calls");
    }

    [Fact]
    public void A_trimmed_device_planned_plan_is_empty_and_a_disposed_planner_refuses()
    {
        var attention = fixture.For(Heads);
        using var target = attention.CreatePlan();
        var (tree, queries) = SmallTree();
        var planner = new DevicePlanner(attention);
        planner.Plan(target, tree, queries, PlanMethod.Node);
        target.HasPlan.Should().BeTrue();
        target.Trim();
        target.HasPlan.Should().BeFalse("a plan built on the device has no host copy to upload again: Trim frees it whole");
        target.UsedBytes.Should().Be(0);
        planner.Dispose();
        planner.Dispose();
        planner.Invoking(p => p.Plan(target, tree, queries)).Should().Throw<ObjectDisposedException>();
    }
}
