using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Tests.Kernels;

/// <summary>
/// Views and streams of another accelerator, and a disposed accelerator, are refused on the host. These tests make their
/// own context: disposing the shared fixture's accelerator would break the other tests.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class OtherAcceleratorTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);
    private readonly TreeCase tree = TreeCase.FromSpec("1,2_24,8");

    [Theory]
    [InlineData("q")]
    [InlineData("output")]
    [InlineData("lse")]
    [InlineData("kv")]
    [InlineData("stream")]
    public void Views_and_streams_of_another_accelerator(string name)
    {
        var attention = fixture.For(Heads);
        var plan = KernelCheck.Plan(tree, PlanMethod.Flatten);
        using var inputs = new DeviceInputs(fixture.Accelerator, AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, seed: 3));
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        using var context = Accelerators.CreateContext();
        using var other = Accelerators.CreateBest(context, forceCpu: true);
        using var foreign = new DeviceInputs(other, AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, seed: 3));
        using var foreignStream = other.CreateStream();

        var e = FluentActions.Invoking(() => attention.Run(devicePlan,
                name == "q" ? foreign.Q.View : inputs.Q.View,
                name == "kv" ? foreign.Kv.Layer(0) : inputs.Kv.Layer(0),
                name == "output" ? foreign.Output.View : inputs.Output.View,
                name == "lse" ? foreign.Lse.View : inputs.Lse.View,
                name == "stream" ? foreignStream : null))
            .Should().Throw<ArgumentException>().Which;
        e.ParamName.Should().Be(name);
        e.Message.Should().Contain("another accelerator").And.Contain(name == "kv" ? "kv.K" : name);
        if (name == "stream")
            FluentActions.Invoking(() => attention.Upload(devicePlan, plan, foreignStream)).Should().Throw<ArgumentException>()
                .Which.ParamName.Should().Be("stream");
    }

    [Fact]
    public void Disposed_accelerator()
    {
        using var context = Accelerators.CreateContext();
        var accelerator = Accelerators.CreateBest(context, forceCpu: true);
        var attention = new TreeAttention(accelerator, Heads, AttentionKernel.CudaCore);
        var plan = KernelCheck.Plan(tree, PlanMethod.Flatten);
        var inputs = new DeviceInputs(accelerator, AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, seed: 4));
        var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        var layer = inputs.Kv.Layer(0);
        var (q, output, lse) = (inputs.Q.View, inputs.Output.View, inputs.Lse.View);
        accelerator.Dispose(); // frees every buffer above with it

        void ShouldNameTheAccelerator(Action action) =>
            FluentActions.Invoking(action).Should().Throw<ObjectDisposedException>().Which.Message.Should().Contain("accelerator").And.Contain("disposed");
        ShouldNameTheAccelerator(() => attention.Run(devicePlan, q, layer, output, lse));
        ShouldNameTheAccelerator(() => attention.Upload(devicePlan, plan));
        ShouldNameTheAccelerator(() => attention.CreatePlan());
        ShouldNameTheAccelerator(() => new TreeAttention(accelerator, Heads));
        ShouldNameTheAccelerator(() => new KvCache(accelerator, Heads, 8));
        ShouldNameTheAccelerator(() => inputs.Kv.Layer(0));
        inputs.Kv.IsDisposed.Should().BeTrue("the accelerator freed the cache's memory");
    }
}
