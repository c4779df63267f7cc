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
/// Using a disposed device plan, KV cache or buffer throws <see cref="ObjectDisposedException"/> on the host, before
/// anything is enqueued (on the CPU accelerator a freed view used to abort the process on an ILGPU assertion).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DisposedObjectTests(CpuAcceleratorFixture fixture) : UploadedCaseTests(fixture, seed: 5)
{
    [Fact]
    public void Kv_cache_after_dispose()
    {
        var kv = new KvCache(accelerator, Heads, tree.SlotCount);
        kv.Dispose();
        kv.IsDisposed.Should().BeTrue();
        FluentActions.Invoking(() => kv.Layer(0)).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Contain(nameof(KvCache));
        var row = new Half[kv.SlotElements];
        FluentActions.Invoking(() => kv.WriteTokens(0, [0], row, row)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => kv.ReadLayer(0)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Upload_into_a_disposed_device_plan()
    {
        var target = attention.CreatePlan();
        target.Dispose();
        target.Dispose(); // twice is harmless
        target.IsDisposed.Should().BeTrue();
        FluentActions.Invoking(() => attention.Upload(target, plan)).Should().Throw<ObjectDisposedException>()
            .Which.ObjectName.Should().Contain(nameof(DevicePlan));
    }

    [Fact]
    public void Run_with_a_disposed_device_plan()
    {
        devicePlan.Dispose();
        ShouldThrowBeforeLaunch<ObjectDisposedException>(() => attention.Run(devicePlan, inputs.Q.View, inputs.Kv.Layer(0), inputs.Output.View, inputs.Lse.View))
            .ObjectName.Should().Contain(nameof(DevicePlan));
    }

    [Fact]
    public void Run_with_a_layer_of_a_disposed_kv_cache()
    {
        var kv = new KvCache(accelerator, Heads, tree.SlotCount);
        var layer = kv.Layer(0);
        kv.Dispose();
        ShouldThrowBeforeLaunch<ObjectDisposedException>(() => attention.Run(devicePlan, inputs.Q.View, layer, inputs.Output.View, inputs.Lse.View))
            .Message.Should().Contain("KV cache");
    }

    [Theory]
    [InlineData("q")]
    [InlineData("output")]
    [InlineData("lse")]
    [InlineData("kv.K")]
    [InlineData("kv.V")]
    public void Run_with_a_view_of_a_disposed_buffer(string name)
    {
        // The caller kept the view and disposed its buffer: the view still points at the freed memory.
        using var halves = accelerator.Allocate1D<Half>(inputs.Q.Length);
        using var floats = accelerator.Allocate1D<float>(inputs.Lse.Length);
        using var k = accelerator.Allocate1D<Half>(inputs.Kv.LayerElements);
        using var v = accelerator.Allocate1D<Half>(inputs.Kv.LayerElements);
        var q = name == "q" ? halves.View : inputs.Q.View;
        var output = name == "output" ? halves.View : inputs.Output.View;
        var lse = name == "lse" ? floats.View : inputs.Lse.View;
        var kv = name.StartsWith("kv.", StringComparison.Ordinal) ? new KvLayer(k.View, v.View, tree.SlotCount, Heads) : inputs.Kv.Layer(0);
        MemoryBuffer freed = name switch { "lse" => floats, "kv.K" => k, "kv.V" => v, _ => halves };
        freed.Dispose();
        var e = ShouldThrowBeforeLaunch<ObjectDisposedException>(() => attention.Run(devicePlan, q, kv, output, lse));
        e.ObjectName.Should().Be(name);
        e.Message.Should().Contain($"{name} is a view of a device buffer that has been disposed");
    }

    [Fact]
    public void Run_with_the_view_of_a_buffer_read_after_dispose()
    {
        // ILGPU empties a disposed buffer's View: what is left is a default view, refused with the likely cause named.
        var q = accelerator.Allocate1D<Half>(inputs.Q.Length);
        q.Dispose();
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, q.View, inputs.Kv.Layer(0), inputs.Output.View, inputs.Lse.View));
        e.ParamName.Should().Be("q");
        e.Message.Should().Contain("q is an empty view").And.Contain("disposed");
    }

    private TException ShouldThrowBeforeLaunch<TException>(Action run) where TException : Exception
    {
        inputs.Poison();
        var e = FluentActions.Invoking(run).Should().Throw<TException>().Which;
        accelerator.Synchronize();
        var (output, lse) = inputs.Read();
        output.Should().OnlyContain(x => float.IsNaN(x), "nothing may be launched when an input is disposed");
        lse.Should().OnlyContain(x => float.IsNaN(x), "nothing may be launched when an input is disposed");
        return e;
    }
}
