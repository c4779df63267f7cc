using DeFT.Bench.Measurement;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Kernels;
using DeFT.Kernels.Primitives;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Kernels;

/// <summary>
/// The tensor-core partial-attention kernel on the CPU accelerator, where <see cref="Mma"/> runs its warp-shuffle
/// emulation of <c>mma.sync.m16n8k16</c>: the fragment layouts, shared-memory tiles, masks, online softmax and
/// output paths are the ones the GPU runs. The emulation is slow (every shuffle synchronises 32 OS threads), so
/// the trees are tiny.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TensorCoreKernelTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Mma_fallback_matches_a_plain_matrix_product() =>
        MmaCheck.Run(fixture.Accelerator).Should().BeLessThan(1e-4, "fp16 products are exact in fp32; only the fp32 sums round");

    [Theory]
    [InlineData(PlanMethod.Flatten, 64, 8, 2)]
    [InlineData(PlanMethod.Node, 64, 8, 2)]
    [InlineData(PlanMethod.Sequence, 64, 8, 2)]
    [InlineData(PlanMethod.Flatten, 128, 2, 2)]
    [InlineData(PlanMethod.Node, 128, 8, 1)]
    [InlineData(PlanMethod.Sequence, 128, 4, 1)]
    public void Matches_reference_on_a_small_tree(PlanMethod method, int headDim, int queryHeads, int kvHeads)
    {
        var w = TreeSpec.Build("1,3_40,20");
        Check(w.Tree, w.Queries, new HeadConfig(queryHeads, kvHeads, headDim), method, blockTokens: 16, seed: headDim + queryHeads);
    }

    [Theory]
    [InlineData("1,20_24,3", 8, 2, 64)]  // root item: 20 queries × G 4 = 80 rows → tasks of 64 and 16 rows
    [InlineData("1,9_20,2", 8, 1, 128)]  // root item: 9 × 8 = 72 rows → the second task has one active warp
    public void Work_items_of_more_than_64_rows_run_as_several_tasks(string spec, int queryHeads, int kvHeads, int headDim)
    {
        var heads = new HeadConfig(queryHeads, kvHeads, headDim);
        var w = TreeSpec.Build(spec);
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Node, new PlannerOptions { BlockTokens = 32 });
        plan.Items.ToArray().Should().Contain(i => i.QueryCount * heads.GroupSize > 64);
        Check(w.Tree, w.Queries, heads, plan, seed: 3);
    }

    [Theory]
    [InlineData("one-node-many-lengths")]
    [InlineData("internal-queries")]
    public void Masks_with_gaps_inside_one_tile(string name)
    {
        // One Flatten block holds the whole tree: the tile mixes tokens of different nodes, and queries on one
        // node see different prefixes of it, so the per-element mask path runs.
        var (tree, queries) = EdgeCaseTrees.Build(name);
        Check(tree, queries, new HeadConfig(4, 1, 64), PlanMethod.Flatten, blockTokens: 64, seed: 5);
    }

    [Fact]
    public void Online_softmax_across_several_tiles_with_large_logits()
    {
        // 150 + 2 × 30 tokens in one block: seven 32-token tiles (the last one partial), large logits.
        var w = TreeSpec.Build("1,2_150,30");
        Check(w.Tree, w.Queries, new HeadConfig(4, 2, 128), PlanMethod.Flatten, blockTokens: 256, seed: 9, magnitude: 4f);
    }

    [Fact]
    public void Queries_with_a_single_partial_write_the_output_directly()
    {
        // Node plan of a tree queried at every node: the root query's only partial is the root item (direct write,
        // natural-log LSE from this kernel); the other queries merge two or three partials.
        var (tree, queries) = EdgeCaseTrees.Build("internal-queries");
        var heads = new HeadConfig(4, 2, 128);
        var plan = TreePlanner.Plan(tree, queries, PlanMethod.Node, PlannerOptions.Default);
        var partials = Enumerable.Range(0, plan.QueryCount).Select(q => plan.PartialsOf(q).Length).ToArray();
        partials.Should().Contain(1).And.Contain(n => n > 1);
        Check(tree, queries, heads, plan, seed: 11);
    }

    [Fact]
    public void A_whole_tree_in_one_item_is_written_directly()
    {
        var w = TreeSpec.Build("1,3_40,20");
        var heads = new HeadConfig(8, 2, 64);
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten, new PlannerOptions { BlockTokens = 256 });
        plan.PartialCount.Should().Be(plan.QueryCount, "one item, one partial per query");
        Check(w.Tree, w.Queries, heads, plan, seed: 13);
    }

    private void Check(DecodingTree tree, TreeQuery[] queries, HeadConfig heads, PlanMethod method, int blockTokens, int seed,
        float magnitude = 1f) =>
        Check(tree, queries, heads, TreePlanner.Plan(tree, queries, method, new PlannerOptions { BlockTokens = blockTokens }), seed, magnitude);

    private void Check(DecodingTree tree, TreeQuery[] queries, HeadConfig heads, AttentionPlan plan, int seed, float magnitude = 1f)
    {
        var data = AttentionData.Random(heads, queries.Length, EdgeCaseTrees.SlotCount(tree), seed, magnitude);
        var attention = fixture.For(heads, AttentionKernel.TensorCore);
        TreeAttention.RowsPerTask(attention.Kernel).Should().Be(64);
        var (output, lse) = KernelRunner.Run(attention, plan, data);
        var reference = ReferenceAttention.Compute(tree, queries, data);
        var (maxAbs, rel) = ErrorMetrics.Compare(output, reference.Output);
        // fp16 rounding of P (an A operand) and of the output scales with |V|, so the absolute bound does too
        // (Online_softmax_across_several_tiles_with_large_logits, magnitude 4: CUDA-core kernel 1.9e-3, this one 2.6e-3).
        maxAbs.Should().BeLessThanOrEqualTo(2e-3 * Math.Max(1f, magnitude));
        rel.Should().BeLessThanOrEqualTo(1e-3);
        ErrorMetrics.Compare(lse, reference.Lse).MaxAbs.Should().BeLessThanOrEqualTo(1e-3);
    }
}
