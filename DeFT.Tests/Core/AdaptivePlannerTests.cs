using DeFT.Core.Planning;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

public sealed class AdaptivePlannerTests
{
    private static WorkItem[] Items(string spec, int blockTokens = 256, PlanCostModel? model = null)
    {
        var w = TreeSpec.Build(spec);
        var options = new PlannerOptions { BlockTokens = blockTokens, CostModel = model ?? PlanCostModel.Default };
        return TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, options).Items.ToArray();
    }

    [Fact]
    public void A_long_node_is_cut_into_equal_chunks_of_its_own()
    {
        Items("1_1000").Select(i => (i.TokenBegin, i.TokenEnd)).Should().Equal((0, 250), (250, 500), (500, 750), (750, 1000));
    }

    [Fact]
    public void A_chain_of_small_nodes_seen_by_one_query_is_packed_into_one_item()
    {
        Items("1,1,1,1_10,10,10,10").Should().Equal(new WorkItem(0, 40, 0, 1, 0));
    }

    [Fact]
    public void Sibling_leaves_seen_by_different_queries_stay_apart()
    {
        // The 256-token root fills a block; with arithmetic paid per query (CUDA cores), the 8-token
        // leaves, each seen by its own query, are not packed: that would compute every leaf for every query.
        var perQuery = PlanCostModel.Default with { QueriesPerTile = 1 };
        var items = Items("1,8_256,8", model: perQuery);
        items.Should().HaveCount(9, "the root and each of the 8 leaves");
        items.Skip(1).Should().OnlyContain(i => i.QueryCount == 1 && i.TokenCount == 8);
    }

    [Fact]
    public void Sibling_leaves_share_an_item_while_their_queries_fit_one_tensor_core_tile()
    {
        // At Hq 32 / Hkv 8 a 16-row m-tile holds 4 queries: 4 leaves cost the arithmetic of one, so they are
        // packed in fours (8 leaves → 2 items), and no further.
        var items = Items("1,8_256,8");
        items.Should().HaveCount(3, "the root, then two items of four leaves");
        items.Skip(1).Should().OnlyContain(i => i.QueryCount == 4 && i.TokenCount == 32);
    }

    [Fact]
    public void Small_leaves_join_a_small_shared_root_when_that_saves_their_partials()
    {
        // Root of 16 tokens seen by all 8 queries: one item of 80 tokens gives each query a single partial.
        Items("1,8_16,8").Should().Equal(new WorkItem(0, 80, 0, 8, 0));
    }

    [Fact]
    public void Packing_stops_at_the_block_size()
    {
        Items("1,1,1,1_10,10,10,10", blockTokens: 25).Select(i => i.TokenCount).Should().Equal(20, 20);
    }

    [Fact]
    public void Small_nodes_under_a_shared_block_join_it_when_partials_dominate()
    {
        // The root token of a 4-candidate token tree: every candidate sees it. With partial results
        // costly and KV cheap, the candidates join the root's block rather than adding a partial per query.
        var cheapKv = new PlanCostModel(KvBytesPerToken: 1, PartialBytesPerQuery: 1000, BytesPerPair: 1);
        Items("1,4_1,1", model: cheapKv).Should().HaveCount(1);
        // With KV and pairs costly, each candidate keeps its own item.
        var costlyPairs = new PlanCostModel(KvBytesPerToken: 1, PartialBytesPerQuery: 1, BytesPerPair: 1000);
        Items("1,4_1,1", model: costlyPairs).Should().HaveCount(5);
    }

    [Fact]
    public void Reads_each_token_of_the_few_shot_tree_once()
    {
        var w = NamedWorkloads.Build("A_fewshot_b20");
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive);
        plan.Items.ToArray().Sum(i => i.TokenCount).Should().Be(8000);
    }

    [Fact]
    public void Negative_cost_weights_are_rejected()
    {
        var w = TreeSpec.Build("1,2_4,4");
        var act = () => TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive,
            new PlannerOptions { CostModel = new PlanCostModel(-1, 0, 0) });
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Cost model*");
    }
}
