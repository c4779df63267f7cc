using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;
using Xunit.Abstractions;
using Half = ILGPU.Half;

namespace DeFT.Tests.Kernels;

/// <summary>One <see cref="DevicePlan"/> reused: uploaded with plans of changing size (its buffers grow and are reused), and run by every layer.</summary>
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

    [Theory, AllMethods]
    public void One_upload_serves_every_layer(PlanMethod method)
    {
        // The plan is uploaded once per decode step and every layer runs it over its own K and V (and q):
        // two layers of one cache with different data, each checked against its own reference.
        var tree = TreeCase.FromSpec("1,2_24,8");
        var plan = KernelCheck.Plan(tree, method, new PlannerOptions { BlockTokens = 16 });
        var attention = fixture.For(Heads);
        var accelerator = attention.Accelerator;
        using var kv = new KvCache(accelerator, Heads, tree.SlotCount, layers: 2);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        var layers = Enumerable.Range(0, 2)
            .Select(l => AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(One_upload_serves_every_layer), method, l)))
            .ToArray();
        for (int l = 0; l < layers.Length; l++) kv.WriteLayer(l, KernelRunner.ToHalf(layers[l].K), KernelRunner.ToHalf(layers[l].V));

        for (int l = layers.Length - 1; l >= 0; l--) // the last layer first: its views start past the first layer's
        {
            using var q = accelerator.Allocate1D(KernelRunner.ToHalf(layers[l].Q));
            using var output = accelerator.Allocate1D(Enumerable.Repeat((Half)float.NaN, layers[l].Q.Length).ToArray());
            using var lse = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, plan.QueryCount * Heads.QueryHeads).ToArray());
            attention.Run(devicePlan, q.View, kv.Layer(l), output.View, lse.View);
            accelerator.Synchronize();

            var reference = ReferenceAttention.Compute(tree.Tree, tree.Queries, layers[l]);
            var (maxAbs, rel, lseAbs) = ErrorMetrics.ShouldMatch(output.GetAsArray1D().Select(h => (float)h).ToArray(), lse.GetAsArray1D(), reference, $"layer {l}, {method}");
            log.WriteLine($"layer {l}, {method}: max|Δ| {maxAbs:E2}, rel L2 {rel:E2}, LSE |Δ| {lseAbs:E2}");
        }
    }
}
