using DeFT.Bench.Measurement;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Tests.Kernels;

namespace DeFT.Tests.Isolation;

/// <summary>
/// A query's output depends only on the tokens it sees (issue 11): NaN and ±∞ in another branch's K or V, or in slots
/// no query sees, leave it bit for bit unchanged, for every method and both kernels; and the fp16 edge case (V at the
/// largest fp16, probabilities that round up) comes out exact. The same checks run on the GPU through the bench's
/// <c>check</c> command.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class BranchIsolationTests(CpuAcceleratorFixture fixture)
{
    public static TheoryData<AttentionKernel, PlanMethod> KernelsAndMethods()
    {
        var data = new TheoryData<AttentionKernel, PlanMethod>();
        foreach (var kernel in new[] { AttentionKernel.CudaCore, AttentionKernel.TensorCore })
            foreach (var method in Enum.GetValues<PlanMethod>())
                data.Add(kernel, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsAndMethods))]
    public void Non_finite_values_in_another_branch_do_not_reach_a_query(AttentionKernel kernel, PlanMethod method)
    {
        var result = IsolationCheck.Neighbours(fixture.Accelerator, kernel, new HeadConfig(2, 1, 64), method);
        result.Passed.Should().BeTrue(result.Detail);
    }

    [Theory]
    [MemberData(nameof(KernelsAndMethods))]
    public void Non_finite_values_in_unrelated_tokens_of_a_random_forest_change_no_other_query(AttentionKernel kernel, PlanMethod method)
    {
        var result = IsolationCheck.UnrelatedTokens(fixture.Accelerator, kernel, new HeadConfig(4, 2, 64), method, seed: 3);
        result.Passed.Should().BeTrue(result.Detail);
    }

    [Theory]
    [InlineData(AttentionKernel.CudaCore)]
    [InlineData(AttentionKernel.TensorCore)]
    public void Largest_fp16_values_with_rounded_up_probabilities_stay_finite(AttentionKernel kernel)
    {
        var result = IsolationCheck.Fp16Edge(fixture.Accelerator, kernel);
        result.Passed.Should().BeTrue(result.Detail);
    }
}
