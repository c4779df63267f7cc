using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Workloads;
using DeFT.Kernels;
using DeFT.Tests.Kernels;

namespace DeFT.Tests.Engine;

/// <summary>Head dims 96 and 256 (tensor-core kernel; the CUDA-core kernel refuses them), caller-set softmax scale and logit soft cap.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class HeadShapeTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(96, PlanMethod.Flatten)]
    [InlineData(96, PlanMethod.Node)]
    [InlineData(256, PlanMethod.Flatten)]
    public void Head_dims_96_and_256_match_the_reference(int headDim, PlanMethod method)
    {
        var heads = new HeadConfig(4, 2, headDim);
        var w = TreeSpec.Build("1,3_40,9");
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: headDim);
        var attention = fixture.For(heads, AttentionKernel.TensorCore);
        var (output, lse) = KernelRunner.Run(attention, TreePlanner.Plan(w.Tree, w.Queries, method), data);
        ErrorMetrics.ShouldMatch(output, lse, ReferenceAttention.Compute(w.Tree, w.Queries, data), $"D {headDim}, {method}");
    }

    /// <summary>
    /// Groups of 3 and 5 query heads per KV head: a task's rows then start mid-query (64 is no multiple of the group) and,
    /// at D 96, a copy pass of the four-warp shape covers 10 rows of Q with 8 threads idle, which the Q staging's carries
    /// must get right.
    /// </summary>
    /// <para>With <paramref name="narrow"/>, items of up to 16 rows (the 5-query middle nodes, 15 rows) run as narrow
    /// tasks of the one-warp shape, whose copy passes cover 2 rows of Q at D 96: its rows carry head into query.</para>
    [Theory]
    [InlineData("1,30_40,9", 12, 4, 96, PlanMethod.Flatten, false)]
    [InlineData("1,30_40,9", 20, 4, 64, PlanMethod.Node, false)]
    [InlineData("1,6,30_40,20,9", 12, 4, 96, PlanMethod.Node, true)]
    public void Query_head_groups_that_are_not_powers_of_two_match_the_reference(string spec, int queryHeads, int kvHeads, int headDim,
        PlanMethod method, bool narrow)
    {
        var heads = new HeadConfig(queryHeads, kvHeads, headDim);
        var w = TreeSpec.Build(spec);
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: queryHeads);
        var attention = fixture.For(heads, AttentionKernel.TensorCore, narrowOnSmallPlans: narrow);
        var plan = TreePlanner.Plan(w.Tree, w.Queries, method);
        plan.Items.ToArray().Should().Contain(i => i.QueryCount * heads.GroupSize > 64, "some item spans tasks");
        var (output, lse) = KernelRunner.Run(attention, plan, data);
        ErrorMetrics.ShouldMatch(output, lse, ReferenceAttention.Compute(w.Tree, w.Queries, data), $"{heads}, {method}");
    }

    [Fact]
    public void The_cuda_core_kernel_refuses_head_dims_it_does_not_hold_and_the_default_picks_tensor_cores()
    {
        FluentActions.Invoking(() => new TreeAttention(fixture.Accelerator, new HeadConfig(4, 1, 96), AttentionKernel.CudaCore))
            .Should().Throw<NotSupportedException>().WithMessage("*96*tensor-core*");
        TreeAttention.DefaultKernel(fixture.Accelerator, 256).Should().Be(AttentionKernel.TensorCore);
        FluentActions.Invoking(() => new TreeAttention(fixture.Accelerator, new HeadConfig(4, 1, 80)))
            .Should().Throw<NotSupportedException>().WithMessage("*80*64, 96, 128, 256*");
    }

    [Theory]
    [InlineData(AttentionKernel.CudaCore)]
    [InlineData(AttentionKernel.TensorCore)]
    public void Custom_scale_and_soft_cap_match_the_reference(AttentionKernel kernel)
    {
        var heads = new HeadConfig(8, 2, 64);
        var w = TreeSpec.Build("1,3_40,9");
        // Scores of magnitude up to ~20 after scaling: a cap of 5 changes them a lot, so a kernel that ignored it would fail.
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 9, magnitude: 2f);
        var scores = new ScoreTransform(scale: 0.4, softCap: 5);
        var attention = new TreeAttention(fixture.Accelerator, heads, kernel, new AttentionOptions { Scores = scores });
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten);
        var (output, lse) = KernelRunner.Run(attention, plan, data);

        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data, scores);
        ErrorMetrics.ShouldMatch(output, lse, reference, $"{kernel}, {scores}");
        var uncapped = ReferenceAttention.Compute(w.Tree, w.Queries, data, new ScoreTransform(0.4));
        ErrorMetrics.Compare(output, uncapped.Output).MaxAbs.Should().BeGreaterThan(0.05, "the cap must change the result");
    }

    [Fact]
    public void Bad_score_transforms_are_refused()
    {
        FluentActions.Invoking(() => new ScoreTransform(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("scale");
        FluentActions.Invoking(() => new ScoreTransform(double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("scale");
        FluentActions.Invoking(() => new ScoreTransform(1, -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("softCap");
    }
}
