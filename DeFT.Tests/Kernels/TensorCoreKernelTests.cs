using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Core.Workloads;
using DeFT.Kernels;
using DeFT.Kernels.Primitives;
using DeFT.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

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
    public void Mma_fallback_matches_a_plain_matrix_product()
    {
        const int Warps = 4;
        var rng = new Random(7);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(Half)(rng.NextSingle() * 4 - 2)).ToArray();
        float[] a = Random(Warps * 16 * 16), b = Random(Warps * 16 * 8), c = Random(Warps * 16 * 8);
        var accelerator = fixture.Accelerator;
        var kernel = accelerator.LoadKernel<ArrayView<Half>, ArrayView<Half>, ArrayView<float>, ArrayView<float>>(MmaProbe.Kernel);
        using var aBuffer = accelerator.Allocate1D(KernelRunner.ToHalf(a));
        using var bBuffer = accelerator.Allocate1D(KernelRunner.ToHalf(b));
        using var cBuffer = accelerator.Allocate1D(c);
        using var dBuffer = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, c.Length).ToArray());
        kernel(accelerator.DefaultStream, new KernelConfig(2, 64), aBuffer.View, bBuffer.View, cBuffer.View, dBuffer.View);
        accelerator.Synchronize();
        var d = dBuffer.GetAsArray1D();

        for (int w = 0; w < Warps; w++)
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 8; j++)
                {
                    double expected = c[w * 128 + i * 8 + j];
                    for (int k = 0; k < 16; k++) expected += (double)a[w * 256 + i * 16 + k] * b[w * 128 + k * 8 + j];
                    d[w * 128 + i * 8 + j].Should().BeApproximately((float)expected, 1e-4f, $"D[{i},{j}] of warp {w}");
                }
    }

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
        // 150 + 2 × 30 tokens in one block: four tiles (the last one partial), large logits.
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
        attention.RowsPerTask.Should().Be(64);
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

/// <summary>One <see cref="Mma.MultiplyAdd"/> per warp: D = A·B + C for row-major A 16×16, B 16×8, C 16×8 per warp.</summary>
public static class MmaProbe
{
    public static void Kernel(ArrayView<Half> a, ArrayView<Half> b, ArrayView<float> c, ArrayView<float> d)
    {
        int warp = Grid.IdxX * (Group.DimX / 32) + Group.IdxX / 32;
        int lane = Group.IdxX % 32;
        int g = lane / 4, t = lane % 4;
        int ao = warp * 256, bo = warp * 128, co = warp * 128;
        // Fragment layouts of the PTX ISA (m16n8k16, .f16), written out independently of the kernel's code.
        var fa = new MmaA
        {
            A0 = Pair(a[ao + g * 16 + 2 * t], a[ao + g * 16 + 2 * t + 1]),
            A1 = Pair(a[ao + (g + 8) * 16 + 2 * t], a[ao + (g + 8) * 16 + 2 * t + 1]),
            A2 = Pair(a[ao + g * 16 + 2 * t + 8], a[ao + g * 16 + 2 * t + 9]),
            A3 = Pair(a[ao + (g + 8) * 16 + 2 * t + 8], a[ao + (g + 8) * 16 + 2 * t + 9]),
        };
        var fb = new MmaB
        {
            B0 = Pair(b[bo + 2 * t * 8 + g], b[bo + (2 * t + 1) * 8 + g]),
            B1 = Pair(b[bo + (2 * t + 8) * 8 + g], b[bo + (2 * t + 9) * 8 + g]),
        };
        var acc = new MmaAccumulator
        {
            C0 = c[co + g * 8 + 2 * t], C1 = c[co + g * 8 + 2 * t + 1],
            C2 = c[co + (g + 8) * 8 + 2 * t], C3 = c[co + (g + 8) * 8 + 2 * t + 1],
        };
        var slots = default(MmaOperands);
        Mma.MultiplyAdd(ref slots, ref acc, fa, fb);
        d[co + g * 8 + 2 * t] = acc.C0;
        d[co + g * 8 + 2 * t + 1] = acc.C1;
        d[co + (g + 8) * 8 + 2 * t] = acc.C2;
        d[co + (g + 8) * 8 + 2 * t + 1] = acc.C3;
    }

    private static uint Pair(Half low, Half high) => Interop.FloatAsInt(low) | ((uint)Interop.FloatAsInt(high) << 16);
}
