using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using ILGPU.Runtime;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>
/// The reduction has a fixed order, so repeated runs of one plan are bit-identical: the merge kernel after the CUDA-core
/// kernel, and the tensor-core kernel's fused merge, whichever task arrives last at a row (its atomics only count).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeterminismTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    [Theory, AllMethods]
    public void Two_runs_of_one_plan_are_bit_identical(PlanMethod method) => RunsAreIdentical(method, AttentionKernel.CudaCore);

    /// <summary>Three runs (the layers of a step) on one plan: the arrival counts must be back at 0 after each.</summary>
    [Theory, AllMethods]
    public void Runs_of_the_fused_merge_are_bit_identical_and_leave_no_count(PlanMethod method) =>
        RunsAreIdentical(method, AttentionKernel.TensorCore);

    private void RunsAreIdentical(PlanMethod method, AttentionKernel kernel)
    {
        // Blocks of 16 tokens: every query merges several partials, so the merge is part of the result.
        var tree = TreeCase.FromSpec("1,3_24,8");
        var plan = KernelCheck.Plan(tree, method, new PlannerOptions { BlockTokens = 16 });
        Enumerable.Range(0, plan.QueryCount).Select(q => plan.PartialsOf(q).Length).Should().OnlyContain(n => n > 1);
        var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(DeterminismTests), method));
        var attention = fixture.For(Heads, kernel);
        using var inputs = new DeviceInputs(attention.Accelerator, data);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);

        var first = inputs.Run(attention, devicePlan);   // each run poisons output and LSE first
        var (maxAbs, _, _) = ErrorMetrics.ShouldMatch(first.Output, first.Lse, ReferenceAttention.Compute(tree.Tree, tree.Queries, data), $"{tree.Name}, {method}, {kernel}");
        for (int run = 2; run <= 3; run++)
        {
            devicePlan.ArrivalCounts.View.AsDense().GetAsArray1D().Should().OnlyContain(count => count == 0, $"every row was merged before run {run}");
            var next = inputs.Run(attention, devicePlan);
            Bits(next.Output).Should().Equal(Bits(first.Output));
            Bits(next.Lse).Should().Equal(Bits(first.Lse));
        }
        log.WriteLine($"{tree.Name}, {method}, {kernel}: three runs identical; max|Δ| {maxAbs:E2}");
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
