using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>The edge cases of DESIGN.md §5 through all three planners, plus hand-computed plan shapes.</summary>
public class PlanEdgeCaseTests
{
    private static readonly PlannerOptions[] Options =
        (from bt in new[] { 1, 7, 64, 100, 256 }
         from mq in new[] { 1, 3, 64 }
         select new PlannerOptions { BlockTokens = bt, MaxQueriesPerItem = mq }).ToArray();

    public static TheoryData<string, PlanMethod> CasesAndMethods()
    {
        var data = new TheoryData<string, PlanMethod>();
        foreach (var name in EdgeCaseTrees.Names)
            foreach (var m in PlannerPropertyTests.Methods)
                data.Add(name, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(CasesAndMethods))]
    public void Edge_case_plans_cover_every_path_exactly(string name, PlanMethod method)
    {
        var (tree, queries) = EdgeCaseTrees.Build(name);
        foreach (var options in Options)
            PlanChecks.AssertValid(tree, queries, TreePlanner.Plan(tree, queries, method, options), options, $"{name} {method} {options}");
    }

    private static WorkItem[] Items(string spec, PlanMethod method, int blockTokens, int maxQueries = 64)
    {
        var w = TreeSpec.Build(spec);
        return TreePlanner.Plan(w.Tree, w.Queries, method, new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries })
            .Items.ToArray();
    }

    [Fact]
    public void Flatten_blocks_on_exact_block_boundaries_follow_the_nodes()
    {
        // 1,4_256,256: flat tokens [0,256) root, then four leaves of 256; leaf k is query k.
        Items("1,4_256,256", PlanMethod.Flatten, 256).Should().Equal(
            new WorkItem(0, 256, 0, 4, 0), new WorkItem(256, 512, 0, 1, 4), new WorkItem(512, 768, 1, 2, 5),
            new WorkItem(768, 1024, 2, 3, 6), new WorkItem(1024, 1280, 3, 4, 7));
    }

    [Fact]
    public void Flatten_blocks_of_100_straddle_node_boundaries_and_stay_balanced()
    {
        var items = Items("1,4_256,256", PlanMethod.Flatten, 100);
        // ⌈1280/100⌉ = 13 blocks, cut at ⌊b·1280/13⌋.
        var cuts = items.Select(i => i.TokenBegin).Distinct().ToArray();
        cuts.Should().Equal(Enumerable.Range(0, 13).Select(b => b * 1280 / 13));
        // Block 2 = [196, 295) holds the end of the root and the start of leaf 0: all four queries see it.
        items.Single(i => i.TokenBegin == 196).Should().Be(new WorkItem(196, 295, 0, 4, 8));
    }

    [Fact]
    public void Node_plan_cuts_long_nodes_into_chunks_and_never_mixes_nodes()
    {
        var items = Items("1,4_256,256", PlanMethod.Node, 100);
        items.Select(i => i.TokenCount).Should().Equal(Enumerable.Repeat(new[] { 100, 100, 56 }, 5).SelectMany(x => x));
        items.Take(3).Should().OnlyContain(i => i.QueryBegin == 0 && i.QueryEnd == 4);
        items.Skip(3).Select(i => i.QueryBegin).Should().Equal(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3);

        var tree = TreeSpec.Build("1,3,9_40,3,7");
        var layout = new TreeLayout(tree.Tree, tree.Queries);
        var plan = TreePlanner.Plan(tree.Tree, tree.Queries, PlanMethod.Node, new PlannerOptions { BlockTokens = 16 });
        var ranges = layout.PreOrder.Select(layout.NodeFlatRange).ToArray();
        foreach (var item in plan.Items)
            ranges.Should().Contain(r => r.Begin <= item.TokenBegin && item.TokenEnd <= r.End, $"item {item} lies inside one node");
    }

    [Fact]
    public void Sequence_plan_reads_each_path_in_its_own_chunks()
    {
        var items = Items("1,4_256,256", PlanMethod.Sequence, 256);
        items.Should().HaveCount(8);
        items.Should().OnlyContain(i => i.TokenCount == 256 && i.QueryCount == 1);
        items.Select(i => i.QueryBegin).Should().Equal(0, 0, 1, 1, 2, 2, 3, 3);
        items.Select(i => i.TokenBegin).Should().Equal(Enumerable.Range(0, 8).Select(k => 256 * k));

        // 512-token paths in chunks of 100: 5 × 100 + 12 per query.
        Items("1,4_256,256", PlanMethod.Sequence, 100).Select(i => i.TokenCount).Should()
            .Equal(Enumerable.Repeat(new[] { 100, 100, 100, 100, 100, 12 }, 4).SelectMany(x => x));
    }

    [Fact]
    public void Hundreds_of_one_token_siblings_split_by_query_limit()
    {
        var w = TreeSpec.Build("1,300_10,1");
        var node = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Node);
        // Root group seen by 300 queries → 64, 64, 64, 64, 44; then one item per one-token leaf.
        node.Items.Length.Should().Be(305);
        node.Items[..5].ToArray().Select(i => i.QueryCount).Should().Equal(64, 64, 64, 64, 44);
        node.PartialCount.Should().Be(600);
        Enumerable.Range(0, 300).Select(q => node.PartialsOf(q).Length).Should().OnlyContain(n => n == 2);

        var flat = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten);
        // 310 tokens → 2 blocks of 155: [root + leaves 0..144] seen by all 300; [leaves 145..299] seen by 155.
        flat.Items.ToArray().Select(i => (i.TokenBegin, i.QueryBegin, i.QueryEnd)).Should().Equal(
            (0, 0, 64), (0, 64, 128), (0, 128, 192), (0, 192, 256), (0, 256, 300), (155, 145, 209), (155, 209, 273), (155, 273, 300));
        flat.PartialCount.Should().Be(455);
        Enumerable.Range(0, 145).Select(q => flat.PartialsOf(q).Length).Should().OnlyContain(n => n == 1);
        Enumerable.Range(145, 155).Select(q => flat.PartialsOf(q).Length).Should().OnlyContain(n => n == 2);
    }

    [Fact]
    public void Many_queries_read_the_shared_prompt_once_per_query_chunk()
    {
        var w = TreeSpec.Build("1,1024_64,2");
        var plan = TreePlanner.Plan(w.Tree, w.Queries);
        plan.QueryCount.Should().Be(1024);
        plan.Items.ToArray().Count(i => i.TokenBegin == 0).Should().Be(1024 / 64);
        plan.Items.ToArray().Max(i => i.QueryCount).Should().Be(64);

        var sequence = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence);
        sequence.Items.Length.Should().Be(1024, "each 66-token path fits one 256-token chunk");
    }

    [Fact]
    public void Long_path_plans_read_the_prompt_once_per_method_as_expected()
    {
        var w = TreeSpec.Build("1,2_20000,500");
        long Reads(PlanMethod m) => TreePlanner.Plan(w.Tree, w.Queries, m).Items.ToArray().Sum(i => (long)i.TokenCount);
        Reads(PlanMethod.Flatten).Should().Be(21_000);
        Reads(PlanMethod.Node).Should().Be(21_000);
        Reads(PlanMethod.Sequence).Should().Be(41_000);
        TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence).Items.Length.Should().Be(2 * 81); // ⌈20500/256⌉ = 81
        TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten).Items.ToArray()
            .Select(i => i.TokenBegin).Distinct().Count().Should().Be(83); // ⌈21000/256⌉
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(256)]
    public void A_single_query_gets_one_partial_per_chunk_of_its_path(int blockTokens)
    {
        var (tree, queries) = EdgeCaseTrees.Build("single-query");
        foreach (var m in PlannerPropertyTests.Methods)
        {
            var plan = TreePlanner.Plan(tree, queries, m, new PlannerOptions { BlockTokens = blockTokens });
            int chunks = (37 + blockTokens - 1) / blockTokens;
            plan.Items.Length.Should().Be(chunks, m.ToString());
            plan.PartialsOf(0).ToArray().Should().Equal(Enumerable.Range(0, chunks));
            plan.VisiblePairs.Should().Be(37);
        }
    }

    [Fact]
    public void Without_sharing_every_method_reads_each_token_once()
    {
        var w = TreeSpec.Build("8_50");
        w.Tree.Roots.Should().HaveCount(8);
        foreach (var m in PlannerPropertyTests.Methods)
        {
            var plan = TreePlanner.Plan(w.Tree, w.Queries, m);
            plan.Items.ToArray().Sum(i => i.TokenCount).Should().Be(400, m.ToString());
            plan.UniqueTokens.Should().Be(400);
        }
    }

    [Fact]
    public void Tokens_beyond_every_visible_length_are_not_planned()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0, 1, 2 });
        int a = tree.Fork(r, new[] { 3, 4, 5, 6, 7 });
        var queries = new[] { new TreeQuery(a, 2), new TreeQuery(a, 0), new TreeQuery(r, 1) };
        foreach (var m in PlannerPropertyTests.Methods)
        {
            var plan = TreePlanner.Plan(tree, queries, m);
            plan.TokenSlots.ToArray().Should().NotContain(new[] { 5, 6, 7 }, m.ToString());
            plan.UniqueTokens.Should().Be(5);
            plan.VisiblePairs.Should().Be(5 + 3 + 1);
        }
    }
}
