using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Attention;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>Plans cut for a parallelism target (chunks longer or shorter than BlockTokens) on the kernels, and the target TreeAttention reports.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TargetPlanTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);

    [Fact]
    public void Chunks_longer_than_BlockTokens_match_the_reference()
    {
        // One slot: the fewest chunks win, so the 900-token root is one item longer than BlockTokens.
        var options = new PlannerOptions { BlockTokens = 256, Target = ParallelismTarget.For(Heads, 1, 1, 16) };
        var plan = KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("1,6_900,20"), PlanMethod.Adaptive, options, log: log);
        plan.Items.ToArray().Max(i => i.TokenCount).Should().BeGreaterThan(256);
    }

    [Fact]
    public void Chunks_shorter_than_BlockTokens_match_the_reference()
    {
        // A device of 64 SMs with one query: the 600-token node is cut far below BlockTokens to fill it.
        var options = new PlannerOptions { BlockTokens = 256, Target = ParallelismTarget.For(Heads, 64, 1, 16) };
        var plan = KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("1_600"), PlanMethod.Adaptive, options, log: log);
        plan.Items.Length.Should().BeGreaterThan(3);
        plan.Items.ToArray().Max(i => i.TokenCount).Should().BeLessThan(256);
    }

    [Fact]
    public void TreeAttention_reports_the_accelerator_and_kernel_shape()
    {
        var heads = new HeadConfig(32, 8, 64);
        var attention = fixture.For(heads);
        var cuda = attention.ParallelismTarget();
        cuda.Multiprocessors.Should().Be(fixture.Accelerator.NumMultiprocessors);
        cuda.GroupsPerMultiprocessor.Should().Be(TreeAttention.CudaCoreGroupsPerMultiprocessor, "off CUDA the documented constant");
        cuda.RowsPerTask.Should().Be(PartialAttentionKernel.RowsPerTask);
        cuda.QueryHeadsPerKvHead.Should().Be(4);
        cuda.KvHeads.Should().Be(8);

        var tensor = attention.ParallelismTarget(AttentionKernel.TensorCore);
        tensor.GroupsPerMultiprocessor.Should().Be(TreeAttention.TensorCoreGroupsPerMultiprocessor);
        tensor.RowsPerTask.Should().Be(TreeAttention.RowsPerTask(AttentionKernel.TensorCore));
        tensor.Streaming.Should().NotBeNull("tensor cores run plans without sharing in their one-warp shape");
        tensor.Streaming!.GroupsPerMultiprocessor.Should().Be(TreeAttention.StreamingGroupsPerMultiprocessor);
        tensor.Streaming.RowsPerTask.Should().Be(TreeAttention.RowsPerTask(AttentionKernel.TensorCore, streaming: true));
        tensor.Streaming.RowsPerTask.Should().Be(16);
        cuda.Streaming.Should().BeNull("the CUDA-core kernel runs every plan in one shape");
        attention.ParallelismTarget(AttentionKernel.Auto).Should().Be(tensor, "Auto counts as the tensor-core kernel");
        var bad = () => attention.ParallelismTarget((AttentionKernel)42);
        bad.Should().Throw<ArgumentOutOfRangeException>();
    }
}
