using DeFT.Bench.Measurement;
using DeFT.Core;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Tests.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Tests.Engine;

/// <summary>
/// The engine-style sample: decode steps of a session whose new tokens' K/V are written from device views on a
/// non-default stream, with bf16, head dim 256, a custom scale and a logit soft cap, paged KV of 16-token pages, against
/// the reference every step.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class EngineStepTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(256, ElementType.BFloat16, 16)]
    [InlineData(96, ElementType.Float16, 1)]
    public void Decode_steps_with_device_kv_writes_on_a_stream_match_the_reference(int headDim, ElementType elements, int pageTokens)
    {
        var result = EngineCheck.DecodeSteps(fixture.Accelerator, new HeadConfig(4, 2, headDim), elements,
            new ScoreTransform(scale: 0.07, softCap: 30), promptTokens: 24, steps: 2, pageTokens: pageTokens);
        result.Passed.Should().BeTrue(result.Detail);
    }

    [Fact]
    public void Kv_memory_attached_by_raw_pointer_gives_the_same_output_as_a_kv_cache()
    {
        var result = EngineCheck.ForeignPointers(fixture.Accelerator);
        result.Passed.Should().BeTrue(result.Detail);
        FluentActions.Invoking(() => KvLayer.FromPointers(fixture.Accelerator, IntPtr.Zero, IntPtr.Zero, 4, new HeadConfig(2, 1, 64)))
            .Should().Throw<ArgumentException>().WithParameterName("k");
    }

    [Fact]
    public void Device_side_kv_writes_land_in_their_slots_and_refuse_bad_views()
    {
        var heads = new HeadConfig(2, 1, 64);
        var accelerator = fixture.Accelerator;
        using var kv = new KvCache(accelerator, heads, slotCount: 6);
        using var stream = accelerator.CreateStream();
        int[] slots = [4, 1];
        var k = Enumerable.Range(0, 2 * 64).Select(i => (System.Half)(i / 64f)).ToArray();
        var v = k.Select(x => -x).ToArray();
        using var slotView = accelerator.Allocate1D(slots);
        using var kView = accelerator.Allocate1D(k);
        using var vView = accelerator.Allocate1D(v);
        kv.WriteTokens(0, slotView.View, kView.View, vView.View, stream);
        stream.Synchronize();
        var (keys, values) = kv.ReadLayer(0);
        for (int i = 0; i < 64; i++)
        {
            ((float)keys[4 * 64 + i]).Should().Be((float)k[i]);
            ((float)keys[1 * 64 + i]).Should().Be((float)k[64 + i]);
            ((float)values[1 * 64 + i]).Should().Be((float)v[64 + i]);
        }
        using var shortV = accelerator.Allocate1D<System.Half>(64);
        FluentActions.Invoking(() => kv.WriteTokens(0, slotView.View, kView.View, shortV.View, stream))
            .Should().Throw<ArgumentException>().WithParameterName("v");
        using var bf16 = accelerator.Allocate1D<BFloat16>(128);
        FluentActions.Invoking(() => kv.WriteTokens(0, slotView.View, bf16.View, bf16.View, stream))
            .Should().Throw<InvalidOperationException>().WithMessage("*Float16*BFloat16*");
    }
}
