using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>The IO model of PlanStatistics, checked against numbers computed by hand from its documented formulas.</summary>
public class PlanStatisticsTests
{
    private static readonly HeadConfig Llama = new(32, 8, 128);

    // Per token: K and V of Hkv 8 × D 128 in fp16 = 2·8·128·2 = 4096 bytes. Per partial slot: Hq 32 × (D 128 + 1 LSE) × 4 = 16512 bytes.
    private const long KvTokenBytes = 4096;
    private const long PartialSlotBytes = 16512;

    [Fact]
    public void Fewshot_b20_sequence_reads_the_prompt_once_per_query()
    {
        var w = NamedWorkloads.Build("A_fewshot_b20");
        var stats = PlanStatistics.Compute(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence), Llama);

        // 20 queries × (4000 + 200) tokens × 4096 B.
        stats.KvBytesRead.Should().Be(344_064_000).And.Be(20 * 4200 * KvTokenBytes);
        stats.UniqueKvBytes.Should().Be(32_768_000);
        stats.WorkItems.Should().Be(20 * 17); // ⌈4200 / 256⌉ = 17 chunks per path
        stats.PartialBytesWritten.Should().Be(340 * PartialSlotBytes);
        stats.PartialBytesRead.Should().Be(340 * PartialSlotBytes);
        stats.PaddedPairs.Should().Be(0);
        stats.QueryBytes.Should().Be(2L * 20 * 32 * 128 * 2);
        stats.Flops.Should().Be(20 * 4200 * 4.0 * 32 * 128);
        stats.UsefulFlops.Should().Be(stats.Flops);
    }

    [Fact]
    public void Fewshot_b20_flatten_reads_every_token_once()
    {
        var w = NamedWorkloads.Build("A_fewshot_b20");
        var flatten = PlanStatistics.Compute(TreePlanner.Plan(w.Tree, w.Queries), Llama);
        var sequence = PlanStatistics.Compute(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence), Llama);

        flatten.KvBytesRead.Should().Be(32_768_000);
        flatten.UniqueKvBytes.Should().Be(32_768_000).And.Be(8000 * KvTokenBytes);
        flatten.WorkItems.Should().Be(32).And.BeLessThan(sequence.WorkItems); // ⌈8000/256⌉ blocks of 250, ≤ 20 queries each
        // Blocks 0-15 are the prompt (16 × 250 = 4000) seen by all 20 leaves; blocks 16-31 each touch 2 leaves of 200.
        flatten.PartialBytesWritten.Should().Be((16 * 20 + 16 * 2) * PartialSlotBytes);
        flatten.PartialBytesRead.Should().Be(flatten.PartialBytesWritten);
        // Leaf blocks are padded: each of 250 tokens × 2 queries pairs, only 250 visible.
        flatten.PaddedPairs.Should().Be(16 * 250);
        flatten.UsefulFlops.Should().Be(sequence.UsefulFlops);

        var node = PlanStatistics.Compute(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Node), Llama);
        node.KvBytesRead.Should().Be(32_768_000);
        node.WorkItems.Should().Be(16 + 20); // ⌈4000/256⌉ prompt chunks + one per leaf
    }

    /// <summary>A(0,1,2) with children B(3,4) and C(5); queries B (2 visible) and C (1).</summary>
    private static (DecodingTree, TreeQuery[]) Tiny()
    {
        var tree = new DecodingTree();
        int a = tree.AddRoot(new[] { 0, 1, 2 });
        int b = tree.Fork(a, new[] { 3, 4 });
        int c = tree.Fork(a, new[] { 5 });
        return (tree, new[] { new TreeQuery(b, 2), new TreeQuery(c, 1) });
    }

    // Hq 2 / Hkv 1 / D 4, fp16: a KV token is 2·1·4·2 = 16 B, a partial slot 2·(4+1)·4 = 40 B, a (query, token) pair 4·2·4 = 32 FLOP.
    private static readonly HeadConfig TinyHeads = new(2, 1, 4);

    [Fact]
    public void Tiny_tree_flatten_statistics_by_hand()
    {
        var (tree, queries) = Tiny();
        var stats = PlanStatistics.Compute(TreePlanner.Plan(tree, queries), TinyHeads);

        // One item: 6 tokens × 2 queries = 12 pairs, of which 3·2 + 2 + 1 = 9 visible.
        stats.Should().Be(new PlanStatistics(KvBytesRead: 6 * 16, UniqueKvBytes: 6 * 16, QueryBytes: 2 * 2 * 2 * 4 * 2,
            PartialBytesWritten: 2 * 40, PartialBytesRead: 2 * 40, WorkItems: 1, PaddedPairs: 3, Flops: 12 * 32, UsefulFlops: 9 * 32));
    }

    [Fact]
    public void Partial_rows_of_16_bit_elements_count_half_the_row_bytes()
    {
        // fp16 runs store partial rows as fp16 pairs (bf16 ones as fp32): a partial slot is then 2·(4·2 + 4) = 24 B.
        var (tree, queries) = Tiny();
        var plan = TreePlanner.Plan(tree, queries, PlanMethod.Node, new PlannerOptions { BlockTokens = 2 });
        int fp16 = DeFT.Kernels.TreeAttention.PartialElementBytes(DeFT.Kernels.ElementType.Float16);
        fp16.Should().Be(2);
        DeFT.Kernels.TreeAttention.PartialElementBytes(DeFT.Kernels.ElementType.BFloat16).Should().Be(4);
        var stats = PlanStatistics.Compute(plan, TinyHeads, partialElementBytes: fp16);
        stats.PartialBytesWritten.Should().Be(6 * 24);
        stats.PartialBytesRead.Should().Be(6 * 24);
        stats.KvBytesRead.Should().Be(PlanStatistics.Compute(plan, TinyHeads).KvBytesRead, "only the partial rows shrink");
    }

    [Fact]
    public void Tiny_tree_sequence_and_node_statistics_by_hand()
    {
        var (tree, queries) = Tiny();
        var options = new PlannerOptions { BlockTokens = 2 };

        // Sequence: B's path of 5 in chunks 2,2,1 and C's path of 4 in 2,2 → 5 items, 9 token reads, no padding.
        PlanStatistics.Compute(TreePlanner.Plan(tree, queries, PlanMethod.Sequence, options), TinyHeads).Should().Be(
            new PlanStatistics(9 * 16, 6 * 16, 64, 5 * 40, 5 * 40, 5, 0, 9 * 32, 9 * 32));

        // Node: A in chunks 2,1 (both queries), B (2 tokens, 1 query), C (1 token, 1 query) → 6 partial slots, each merged.
        PlanStatistics.Compute(TreePlanner.Plan(tree, queries, PlanMethod.Node, options), TinyHeads).Should().Be(
            new PlanStatistics(6 * 16, 6 * 16, 64, 6 * 40, 6 * 40, 4, 0, 9 * 32, 9 * 32));
    }

    [Fact]
    public void Partial_slots_of_queries_seeing_nothing_inside_an_item_are_written_but_not_read()
    {
        // R(0) with children X(1), Y(2), Z(3); Y's query sees 0 of its tokens, so Y's token is not planned.
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0 });
        int x = tree.Fork(r, new[] { 1 });
        int y = tree.Fork(r, new[] { 2 });
        int z = tree.Fork(r, new[] { 3 });
        var queries = new[] { new TreeQuery(x, 1), new TreeQuery(y, 0), new TreeQuery(z, 1) };
        var plan = TreePlanner.Plan(tree, queries, PlanMethod.Flatten, new PlannerOptions { BlockTokens = 2 });

        // Flat tokens R, X, Z cut into [R] and [X, Z]; the second block's query range [0, 3) has Y (position 1) as a hole.
        plan.Items.ToArray().Should().Equal(new WorkItem(0, 1, 0, 3, 0), new WorkItem(1, 3, 0, 3, 3));
        plan.PartialsOf(0).ToArray().Should().Equal(0, 3);
        plan.PartialsOf(1).ToArray().Should().Equal(1);
        plan.PartialsOf(2).ToArray().Should().Equal(2, 5);
        PlanStatistics.Compute(plan, TinyHeads).Should().Be(new PlanStatistics(KvBytesRead: 3 * 16, UniqueKvBytes: 3 * 16,
            QueryBytes: 2 * 3 * 2 * 4 * 2, PartialBytesWritten: 6 * 40, PartialBytesRead: 5 * 40, WorkItems: 2,
            PaddedPairs: 9 - 5, Flops: 9 * 32, UsefulFlops: 5 * 32));

        // One query per item: the hole disappears, the shared root is read three times.
        var split = TreePlanner.Plan(tree, queries, PlanMethod.Flatten, new PlannerOptions { BlockTokens = 2, MaxQueriesPerItem = 1 });
        PlanStatistics.Compute(split, TinyHeads).Should().Be(new PlanStatistics(7 * 16, 3 * 16, 96, 5 * 40, 5 * 40, 5, 2, 7 * 32, 5 * 32));
    }

    [Fact]
    public void Element_size_scales_kv_and_query_bytes_only()
    {
        var (tree, queries) = Tiny();
        var plan = TreePlanner.Plan(tree, queries);
        var fp16 = PlanStatistics.Compute(plan, TinyHeads);
        var fp32 = PlanStatistics.Compute(plan, TinyHeads, elementBytes: 4);
        fp32.KvBytesRead.Should().Be(2 * fp16.KvBytesRead);
        fp32.UniqueKvBytes.Should().Be(2 * fp16.UniqueKvBytes);
        fp32.QueryBytes.Should().Be(2 * fp16.QueryBytes);
        fp32.PartialBytesWritten.Should().Be(fp16.PartialBytesWritten);
        fp32.Flops.Should().Be(fp16.Flops);
    }

    [Fact]
    public void HeadConfig_exposes_group_size_and_scale()
    {
        Llama.GroupSize.Should().Be(4);
        Llama.Scale.Should().BeApproximately(1 / Math.Sqrt(128), 1e-15);
        new HeadConfig(32, 32, 64).GroupSize.Should().Be(1);
        Llama.ToString().Should().Be("Hq 32 / Hkv 8 / D 128");
    }

    [Theory]
    [InlineData(32, 6, 128)]
    [InlineData(4, 8, 64)]
    [InlineData(12, 5, 64)]
    public void HeadConfig_rejects_query_heads_not_divisible_by_kv_heads(int hq, int hkv, int d)
    {
        FluentActions.Invoking(() => new HeadConfig(hq, hkv, d)).Should().Throw<ArgumentException>()
            .WithMessage($"Query heads ({hq}) must be a multiple of KV heads ({hkv}).*");
    }

    [Theory]
    [InlineData(0, 1, 8, "queryHeads")]
    [InlineData(-4, 1, 8, "queryHeads")]
    [InlineData(4, 0, 8, "kvHeads")]
    [InlineData(4, -1, 8, "kvHeads")]
    [InlineData(4, 1, 0, "headDim")]
    [InlineData(4, 1, -128, "headDim")]
    public void HeadConfig_rejects_non_positive_values(int hq, int hkv, int d, string parameter)
    {
        FluentActions.Invoking(() => new HeadConfig(hq, hkv, d)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }
}
