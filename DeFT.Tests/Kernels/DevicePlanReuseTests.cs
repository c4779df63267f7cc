using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>One <see cref="DeFT.Kernels.Device.DevicePlan"/> uploaded with plans of changing size: its buffers grow and are reused.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DevicePlanReuseTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    [Theory, AllMethods]
    public void Big_then_small_then_bigger_plan_in_one_device_plan(PlanMethod method)
    {
        var options = new PlannerOptions { BlockTokens = 16 };
        var steps = new[]
        {
            TreeCase.FromSpec("1,3_32,16"),   // 80 tokens, 3 queries, several partials each
            TreeCase.FromSpec("1_20"),        // one query, two partials: every buffer shrinks in use
            TreeCase.FromSpec("2,5_24,16"),   // 128 tokens, 5 queries: every buffer grows past the first plan
        };
        var attention = fixture.For(Heads);
        using var devicePlan = attention.CreatePlan();
        int previousPartials = 0;
        for (int i = 0; i < steps.Length; i++)
        {
            var tree = steps[i];
            var plan = KernelCheck.Plan(tree, method, options);
            var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(DevicePlanReuseTests), method, i));
            using var inputs = new DeviceInputs(attention.Accelerator, data);
            attention.Upload(devicePlan, plan);
            devicePlan.Plan.Should().BeSameAs(plan);

            var (output, lse) = inputs.Run(attention, devicePlan);

            var (maxAbs, rel, lseAbs) = ErrorMetrics.ShouldMatch(output, lse, ReferenceAttention.Compute(tree.Tree, tree.Queries, data), $"step {i}: {tree.Name}, {method}");
            log.WriteLine($"step {i}: {tree.Name}, {method}: {plan.PartialCount} partials (was {previousPartials}), {devicePlan.TaskCount} tasks; " +
                $"max|Δ| {maxAbs:E2}, rel L2 {rel:E2}, LSE |Δ| {lseAbs:E2}");
            previousPartials = plan.PartialCount;
        }
    }
}
