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
/// Bad input to <see cref="TreeAttention"/> gets a clear exception naming the problem, before anything is launched
/// (on the CPU accelerator an out-of-bounds view access would kill the test process). "Nothing launched" is checked
/// by the output and LSE still holding their NaN poison afterwards.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ValidationTests(CpuAcceleratorFixture fixture) : UploadedCaseTests(fixture, seed: 17)
{
    private long Rows => (long)plan.QueryCount * Heads.QueryHeads;

    [Fact]
    public void Q_of_wrong_length()
    {
        using var q = accelerator.Allocate1D<Half>((Rows - Heads.QueryHeads) * Heads.HeadDim); // one query short
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, q.View, inputs.Kv.Layer(0), inputs.Output.View, inputs.Lse.View));
        e.ParamName.Should().Be("q");
        e.Message.Should().Contain($"{q.Length} elements").And.Contain($"need {Rows * Heads.HeadDim}").And.Contain("[queries, Hq, D]");
    }

    [Fact]
    public void Output_of_wrong_length()
    {
        using var output = accelerator.Allocate1D<Half>((Rows + 1) * Heads.HeadDim); // one head too many
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, inputs.Q.View, inputs.Kv.Layer(0), output.View, inputs.Lse.View));
        e.ParamName.Should().Be("output");
        e.Message.Should().Contain($"{output.Length} elements").And.Contain($"need {Rows * Heads.HeadDim}");
    }

    [Fact]
    public void Lse_of_wrong_length()
    {
        using var lse = accelerator.Allocate1D<float>(Rows - 1);
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, inputs.Q.View, inputs.Kv.Layer(0), inputs.Output.View, lse.View));
        e.ParamName.Should().Be("lse");
        e.Message.Should().Contain($"{lse.Length} elements").And.Contain($"need {Rows}").And.Contain("[queries, Hq]");
    }

    [Fact]
    public void Kv_layer_with_fewer_slots_than_the_plan_reads()
    {
        plan.MaxSlot.Should().Be(tree.SlotCount - 1);
        using var small = new KvCache(accelerator, Heads, plan.MaxSlot); // slots 0..MaxSlot-1: the largest is missing
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, inputs.Q.View, small.Layer(0), inputs.Output.View, inputs.Lse.View));
        e.ParamName.Should().Be("kv");
        e.Message.Should().Contain($"slot {plan.MaxSlot}").And.Contain($"{plan.MaxSlot} slots");
    }

    [Fact]
    public void Kv_layer_whose_views_are_shorter_than_its_slot_count()
    {
        // A hand-made layer that claims more slots than its K view holds (V is fine).
        long needed = (long)tree.SlotCount * Heads.KvHeads * Heads.HeadDim;
        using var k = accelerator.Allocate1D<Half>(needed - Heads.HeadDim);
        using var v = accelerator.Allocate1D<Half>(needed);
        var layer = new KvLayer(k.View, v.View, tree.SlotCount, Heads);
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, inputs.Q.View, layer, inputs.Output.View, inputs.Lse.View));
        e.ParamName.Should().Be("kv");
        e.Message.Should().Contain($"{k.Length} elements").And.Contain($"need {needed}").And.Contain("for K");
    }

    [Theory]
    [InlineData("k", 1)]
    [InlineData("k", 4)]
    [InlineData("v", 1)]
    [InlineData("v", 4)]
    public void Kv_layer_over_a_view_that_is_not_16_byte_aligned(string name, int offset)
    {
        // The kernels read K and V 128 bits (8 fp16) at a time: a view starting mid-vector is refused when the layer is built.
        long needed = (long)tree.SlotCount * Heads.KvHeads * Heads.HeadDim;
        using var k = accelerator.Allocate1D<Half>(needed + 8);
        using var v = accelerator.Allocate1D<Half>(needed + 8);
        var shifted = (name == "k" ? k : v).View.SubView(offset, needed);
        var e = FluentActions.Invoking(() => name == "k"
                ? new KvLayer(shifted, v.View.SubView(8, needed), tree.SlotCount, Heads)
                : new KvLayer(k.View.SubView(0, needed), shifted, tree.SlotCount, Heads))
            .Should().Throw<ArgumentException>().Which;
        e.ParamName.Should().Be(name);
        e.Message.Should().Contain($"{name} starts at element {offset}").And.Contain("16-byte boundary").And.Contain("multiple of 8 elements");
    }

    [Fact]
    public void Kv_cache_with_another_head_config()
    {
        var other = new HeadConfig(4, 2, 64);
        using var kv = new KvCache(accelerator, other, tree.SlotCount);
        var e = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(devicePlan, inputs.Q.View, kv.Layer(0), inputs.Output.View, inputs.Lse.View));
        e.ParamName.Should().Be("kv");
        e.Message.Should().Contain("heads").And.Contain(other.ToString()).And.Contain(Heads.ToString());
    }

    [Fact]
    public void Device_plan_of_another_tree_attention_instance()
    {
        var second = new TreeAttention(accelerator, Heads); // same heads: only the owner differs
        using var foreign = second.CreatePlan();
        second.Upload(foreign, plan);

        var run = ShouldThrowBeforeLaunch<ArgumentException>(() => attention.Run(foreign, inputs.Q.View, inputs.Kv.Layer(0), inputs.Output.View, inputs.Lse.View));
        run.ParamName.Should().Be("plan");
        run.Message.Should().Contain("another TreeAttention instance");

        var upload = FluentActions.Invoking(() => attention.Upload(foreign, plan)).Should().Throw<ArgumentException>().Which;
        upload.ParamName.Should().Be("target");
        upload.Message.Should().Contain("another TreeAttention instance");
    }

    [Fact]
    public void Run_before_upload()
    {
        using var empty = attention.CreatePlan();
        empty.Plan.Should().BeNull();
        var e = ShouldThrowBeforeLaunch<InvalidOperationException>(() => attention.Run(empty, inputs.Q.View, inputs.Kv.Layer(0), inputs.Output.View, inputs.Lse.View));
        e.Message.Should().Contain("Upload");
    }

    [Theory]
    [InlineData((AttentionKernel)42)]
    [InlineData((AttentionKernel)(-1))]
    [InlineData(AttentionKernel.Auto)]
    public void Rows_per_task_of_no_concrete_kernel(AttentionKernel kernel)
    {
        var e = FluentActions.Invoking(() => TreeAttention.RowsPerTask(kernel)).Should().Throw<ArgumentOutOfRangeException>().Which;
        e.ParamName.Should().Be("kernel");
        e.Message.Should().Contain("concrete kernel");
    }

    [Fact]
    public void Unsupported_head_dimension()
    {
        var e = FluentActions.Invoking(() => new TreeAttention(accelerator, new HeadConfig(4, 1, 192))).Should().Throw<NotSupportedException>().Which;
        e.Message.Should().Contain("192").And.Contain("64").And.Contain("256");
    }

    private TException ShouldThrowBeforeLaunch<TException>(Action run) where TException : Exception
    {
        inputs.Poison();
        var e = FluentActions.Invoking(run).Should().Throw<TException>().Which;
        accelerator.Synchronize();
        var (output, lse) = inputs.Read();
        output.Should().OnlyContain(x => float.IsNaN(x), "nothing may be launched when the input is invalid");
        lse.Should().OnlyContain(x => float.IsNaN(x), "nothing may be launched when the input is invalid");
        return e;
    }
}
