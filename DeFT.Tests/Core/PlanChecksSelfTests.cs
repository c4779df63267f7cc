using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;
using Xunit.Sdk;

namespace DeFT.Tests.Core;

/// <summary>The property checkers must be able to fail: feed them wrong plans and layouts and expect a report.</summary>
public class PlanChecksSelfTests
{
    private static (DecodingTree Tree, TreeQuery[] Queries) Fork()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0, 1, 2 });
        int a = tree.Fork(r, new[] { 3, 4 });
        int b = tree.Fork(r, new[] { 5 });
        return (tree, new[] { new TreeQuery(a, 2), new TreeQuery(b, 1) });
    }

    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    [InlineData(PlanMethod.Sequence)]
    public void A_plan_checked_against_shorter_queries_is_reported(PlanMethod method)
    {
        var (tree, queries) = Fork();
        var plan = TreePlanner.Plan(tree, queries, method);
        PlanChecks.AssertValid(tree, queries, plan, PlannerOptions.Default, "good");

        var shorter = new[] { queries[0] with { VisibleTokens = 1 }, queries[1] };
        FluentActions.Invoking(() => PlanChecks.AssertValid(tree, shorter, plan, PlannerOptions.Default, "bad"))
            .Should().Throw<XunitException>().WithMessage("*query 0*sees*path*");
    }

    [Fact]
    public void A_plan_checked_against_tighter_limits_is_reported()
    {
        var (tree, queries) = Fork();
        var plan = TreePlanner.Plan(tree, queries);
        FluentActions.Invoking(() => PlanChecks.AssertValid(tree, queries, plan, new PlannerOptions { BlockTokens = 5 }, "bad"))
            .Should().Throw<XunitException>().WithMessage("*BlockTokens 5*");
        FluentActions.Invoking(() => PlanChecks.AssertValid(tree, queries, plan, new PlannerOptions { MaxQueriesPerItem = 1 }, "bad"))
            .Should().Throw<XunitException>().WithMessage("*MaxQueriesPerItem 1*");
    }

    [Fact]
    public void A_corrupted_mask_is_reported_by_the_interval_check()
    {
        var (tree, queries, _) = new RandomTreeBuilder { Nodes = 12 }.Build(5);
        var layout = new TreeLayout(tree, queries);
        PlanChecks.AssertIntervalClaim(layout, tree, queries, "good");

        int t = Array.FindIndex(layout.FlatVisibilityArray, r => r.End - r.Begin > 1);
        t.Should().BeGreaterThanOrEqualTo(0);
        layout.FlatVisibilityArray[t] = layout.FlatVisibilityArray[t] with { End = layout.FlatVisibilityArray[t].End - 1 }; // internal: the public view is read-only
        FluentActions.Invoking(() => PlanChecks.AssertIntervalClaim(layout, tree, queries, "bad"))
            .Should().Throw<XunitException>().WithMessage($"*flat token {t}*");
    }
}
