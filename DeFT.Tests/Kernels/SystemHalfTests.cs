using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Workloads;
using ILGPU.Runtime;

namespace DeFT.Tests.Kernels;

/// <summary>The public API takes <see cref="System.Half"/> (what .NET tensor libraries hand out) for q, output and KV writes, with no alias needed.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class SystemHalfTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void System_half_inputs_give_the_same_output_as_ilgpu_half_inputs()
    {
        var heads = new HeadConfig(4, 1, 64);
        var w = TreeSpec.Build("1,3_24,8");
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten);
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 21);
        var expected = KernelRunner.Run(fixture.For(heads), plan, data).Output;

        var accelerator = fixture.Accelerator;
        var attention = fixture.For(heads);
        using var kv = new KvCache(accelerator, heads, w.SlotCount);
        var allSlots = Enumerable.Range(0, w.SlotCount).ToArray();
        kv.WriteTokens(0, allSlots, data.K.Select(x => (System.Half)x).ToArray(), data.V.Select(x => (System.Half)x).ToArray());
        using var q = accelerator.Allocate1D(data.Q.Select(x => (System.Half)x).ToArray());
        using var output = accelerator.Allocate1D<System.Half>(data.Q.Length);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        attention.Run(devicePlan, q.View, kv.Layer(0), output.View);
        accelerator.Synchronize();
        output.GetAsArray1D().Select(h => (float)h).Should().Equal(expected, "the System.Half overloads reinterpret the same bits");
    }
}
