using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>The reduction has a fixed order and no atomics, so repeated runs of one plan are bit-identical, on both partial-attention kernels.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeterminismTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    [Theory, AllMethods]
    public void Two_runs_of_one_plan_are_bit_identical(PlanMethod method)
    {
        // Blocks of 16 tokens: every query merges several partials, so the merge kernel is part of the result.
        var tree = TreeCase.FromSpec("1,3_24,8");
        var plan = KernelCheck.Plan(tree, method, new PlannerOptions { BlockTokens = 16 });
        Enumerable.Range(0, plan.QueryCount).Select(q => plan.PartialsOf(q).Length).Should().OnlyContain(n => n > 1);
        var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(DeterminismTests), method));
        foreach (var kernel in KernelCheck.Kernels)
        {
            var attention = fixture.For(Heads, kernel);
            using var inputs = new DeviceInputs(attention.Accelerator, data);
            using var devicePlan = attention.CreatePlan();
            attention.Upload(devicePlan, plan);

            var first = inputs.Run(attention, devicePlan);   // each run poisons output and LSE first
            var second = inputs.Run(attention, devicePlan);

            var (maxAbs, _, _) = ErrorMetrics.ShouldMatch(first.Output, first.Lse, ReferenceAttention.Compute(tree.Tree, tree.Queries, data),
                $"{tree.Name}, {method}, {kernel}");
            Bits(second.Output).Should().Equal(Bits(first.Output));
            Bits(second.Lse).Should().Equal(Bits(first.Lse));
            log.WriteLine($"{tree.Name}, {method}, {kernel}: two runs identical; max|Δ| {maxAbs:E2}");
        }
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
