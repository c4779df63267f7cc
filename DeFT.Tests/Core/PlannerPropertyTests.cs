using DeFT.Core.Planning;
using DeFT.Tests.Support;

namespace DeFT.Tests.Core;

/// <summary>
/// Every plan, whatever the method and options, covers each query's path exactly once (no invisible token),
/// lists exactly the partial slots where the query sees something, and respects the item limits.
/// </summary>
public class PlannerPropertyTests
{
    public static readonly PlanMethod[] Methods = { PlanMethod.Flatten, PlanMethod.Node, PlanMethod.Adaptive, PlanMethod.Sequence };
    public static readonly int[] BlockTokens = { 1, 7, 64, 256 };
    public static readonly int[] MaxQueries = { 1, 3, 64 };

    public static TheoryData<PlanMethod, int, int> MethodsAndOptions()
    {
        var data = new TheoryData<PlanMethod, int, int>();
        foreach (var m in Methods)
            foreach (int bt in BlockTokens)
                foreach (int mq in MaxQueries)
                    data.Add(m, bt, mq);
        return data;
    }

    [Theory]
    [MemberData(nameof(MethodsAndOptions))]
    public void Plans_of_random_trees_cover_every_path_exactly(PlanMethod method, int blockTokens, int maxQueries)
    {
        var options = new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries };
        foreach (var (shape, builder) in RandomTrees.Shapes)
            foreach (int seed in RandomTrees.Seeds)
            {
                var (tree, queries, slotCount) = builder.Build(seed);
                var plan = TreePlanner.Plan(tree, queries, method, options);
                plan.Method.Should().Be(method);
                plan.MaxSlot.Should().BeLessThan(slotCount);
                PlanChecks.AssertValid(tree, queries, plan, options, $"{method} {options} {shape} seed {seed}");
            }
    }

    [Fact]
    public void Random_shapes_include_forests_zero_length_nodes_internal_and_partial_queries()
    {
        // The sweep above is only as good as its trees: make sure they contain the cases it is meant to cover.
        bool forest = false, zeroLength = false, internalQuery = false, partialQuery = false, multiBlockNode = false;
        foreach (var (_, builder) in RandomTrees.Shapes)
            foreach (int seed in RandomTrees.Seeds)
            {
                var (tree, queries, _) = builder.Build(seed);
                forest |= tree.Roots.Count > 1;
                zeroLength |= tree.PreOrder().Any(n => tree.Slots(n).Count == 0 && tree.Children(n).Count > 0);
                internalQuery |= queries.Any(q => tree.Children(q.Node).Count > 0);
                partialQuery |= queries.Any(q => q.VisibleTokens < tree.Slots(q.Node).Count);
                multiBlockNode |= tree.PreOrder().Any(n => tree.Slots(n).Count > 256);
            }
        forest.Should().BeTrue();
        zeroLength.Should().BeTrue();
        internalQuery.Should().BeTrue();
        partialQuery.Should().BeTrue();
        multiBlockNode.Should().BeTrue();
    }

    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    [InlineData(PlanMethod.Sequence)]
    public void Planning_is_deterministic(PlanMethod method)
    {
        var (tree, queries, _) = new DeFT.Workloads.RandomTreeBuilder { Nodes = 40, Roots = 2 }.Build(7);
        var options = new PlannerOptions { BlockTokens = 7, MaxQueriesPerItem = 3 };
        TreePlanner.Plan(tree, queries, method, options).ContentEquals(TreePlanner.Plan(tree, queries, method, options)).Should().BeTrue();
    }

    [Fact]
    public void Default_options_and_method_are_flatten_256_64()
    {
        PlannerOptions.Default.BlockTokens.Should().Be(256);
        PlannerOptions.Default.MaxQueriesPerItem.Should().Be(64);
        var (tree, queries, _) = new DeFT.Workloads.RandomTreeBuilder().Build(3);
        var plan = TreePlanner.Plan(tree, queries);
        plan.Method.Should().Be(PlanMethod.Flatten);
        plan.ContentEquals(TreePlanner.Plan(tree, queries, PlanMethod.Flatten, new PlannerOptions())).Should().BeTrue();
    }
}
