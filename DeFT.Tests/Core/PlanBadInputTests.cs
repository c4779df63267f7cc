using DeFT.Core.Planning;
using DeFT.Core.Trees;

namespace DeFT.Tests.Core;

/// <summary>Planning rejects bad input with an exception naming the problem, for every method.</summary>
public class PlanBadInputTests
{
    public static TheoryData<PlanMethod> Methods() => new(PlannerPropertyTests.Methods);

    /// <summary>r(0,1,2) → a(3,4); r → b() (empty); pruned node p; plus an empty root e.</summary>
    private static (DecodingTree Tree, int R, int A, int B, int Pruned, int Empty) Sample()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0, 1, 2 });
        int a = tree.Fork(r, new[] { 3, 4 });
        int b = tree.Fork(r, Array.Empty<int>());
        int p = tree.Fork(a, new[] { 5 });
        tree.Prune(p);
        int e = tree.AddRoot(Array.Empty<int>());
        return (tree, r, a, b, p, e);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Query_on_unknown_or_removed_node(PlanMethod method)
    {
        var (tree, _, a, _, pruned, _) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(a, 2), new TreeQuery(99, 1) }, method))
            .Should().Throw<TreeException>().WithMessage("Query 1 sits on node 99, which is unknown or removed.");
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(-1, 1) }, method))
            .Should().Throw<TreeException>().WithMessage("*node -1*unknown or removed*");
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(pruned, 1) }, method))
            .Should().Throw<TreeException>().WithMessage($"Query 0 sits on node {pruned}, which is unknown or removed.");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Visible_length_out_of_range(PlanMethod method)
    {
        var (tree, r, a, _, _, _) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(a, -1) }, method))
            .Should().Throw<TreeException>().WithMessage($"Query 0 sees -1 tokens of node {a}, which has 2.");
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(r, 3), new TreeQuery(a, 3) }, method))
            .Should().Throw<TreeException>().WithMessage($"Query 1 sees 3 tokens of node {a}, which has 2.");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Query_that_sees_nothing(PlanMethod method)
    {
        var (tree, r, _, _, _, empty) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(r, 0) }, method))
            .Should().Throw<TreeException>().WithMessage($"Query 0 on node {r} sees no token at all*");
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(r, 1), new TreeQuery(empty, 0) }, method))
            .Should().Throw<TreeException>().WithMessage($"Query 1 on node {empty} sees no token at all*");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Zero_visible_tokens_on_a_node_below_tokens_is_fine(PlanMethod method)
    {
        var (tree, _, a, b, _, _) = Sample();
        var plan = TreePlanner.Plan(tree, new[] { new TreeQuery(b, 0), new TreeQuery(a, 0) }, method);
        plan.VisiblePairs.Should().Be(6);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Empty_query_list(PlanMethod method)
    {
        var (tree, _, _, _, _, _) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, Array.Empty<TreeQuery>(), method))
            .Should().Throw<TreeException>().WithMessage("At least one query is needed.");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Null_tree_or_queries(PlanMethod method)
    {
        var (tree, r, _, _, _, _) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(null!, new[] { new TreeQuery(r, 1) }, method)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, null!, method)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(0, 64, "BlockTokens")]
    [InlineData(-5, 64, "BlockTokens")]
    [InlineData(256, 0, "MaxQueriesPerItem")]
    [InlineData(256, -1, "MaxQueriesPerItem")]
    public void Bad_options(int blockTokens, int maxQueries, string parameter)
    {
        var (tree, r, _, _, _, _) = Sample();
        var options = new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries };
        foreach (var method in PlannerPropertyTests.Methods)
            FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(r, 3) }, method, options))
                .Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter).WithMessage($"{parameter} must be at least 1.*");
    }

    [Fact]
    public void Unknown_method()
    {
        var (tree, r, _, _, _, _) = Sample();
        FluentActions.Invoking(() => TreePlanner.Plan(tree, new[] { new TreeQuery(r, 3) }, (PlanMethod)42))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("method");
    }
}

/// <summary>The planners are public too: called directly with a layout, they must validate options (not hang or divide by zero).</summary>
public class DirectPlannerBadInputTests
{
    public static TheoryData<string, int, int> PlannersAndBadOptions()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var planner in new[] { "Flatten", "Node", "Sequence" })
        {
            data.Add(planner, 0, 64);
            data.Add(planner, 256, 0);
            data.Add(planner, -3, 64);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PlannersAndBadOptions))]
    public void Direct_planner_calls_reject_bad_options(string planner, int blockTokens, int maxQueries)
    {
        var w = DeFT.Workloads.TreeSpec.Build("1,3_5,4");
        var layout = new TreeLayout(w.Tree, w.Queries);
        var options = new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries };
        Func<AttentionPlan> plan = planner switch
        {
            "Flatten" => () => FlattenPlanner.Plan(layout, options),
            "Node" => () => NodePlanner.Plan(layout, options),
            _ => () => SequencePlanner.Plan(layout, options),
        };
        // A planner that loops forever on a zero step must fail this test, not hang the run: run it on a background thread.
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try { plan(); }
            catch (Exception e) { thrown = e; }
        }) { IsBackground = true };
        thread.Start();
        thread.Join(TimeSpan.FromSeconds(10)).Should().BeTrue($"{planner}Planner.Plan should reject {options} at once");
        thrown.Should().BeOfType<ArgumentOutOfRangeException>();
    }
}
