using DeFT.Core;
using DeFT.Kernels.Device;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Tests.Kernels;

/// <summary>The device KV cache: scattered token writes round-trip exactly, and bad slots and layers are refused.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KvCacheTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(4, 2, 64);
    private const int Slots = 40;

    [Fact]
    public void Scattered_token_writes_round_trip_exactly()
    {
        using var kv = new KvCache(fixture.Accelerator, Heads, Slots, layers: 2);
        var rng = new Random(23);
        Half[] Random(long n) => Enumerable.Range(0, (int)n).Select(_ => (Half)(rng.NextSingle() * 2 - 1)).ToArray();
        var k0 = Random(kv.LayerElements);
        var v0 = Random(kv.LayerElements);
        var k1 = Random(kv.LayerElements);
        var v1 = Random(kv.LayerElements);
        kv.WriteLayer(0, k0, v0);
        kv.WriteLayer(1, k1, v1);

        // Out of order, with runs of consecutive slots (3,4,5 and 30,31) that are copied together, the last slot included.
        int[] slots = [7, 3, 4, 5, 30, 31, 0, Slots - 1, 12];
        var k = Random((long)slots.Length * kv.SlotElements);
        var v = Random((long)slots.Length * kv.SlotElements);
        kv.WriteTokens(1, slots, k, v);

        for (int i = 0; i < slots.Length; i++)
        {
            Array.Copy(k, i * kv.SlotElements, k1, slots[i] * kv.SlotElements, kv.SlotElements);
            Array.Copy(v, i * kv.SlotElements, v1, slots[i] * kv.SlotElements, kv.SlotElements);
        }
        var (readK1, readV1) = kv.ReadLayer(1);
        Bits(readK1).Should().Equal(Bits(k1));
        Bits(readV1).Should().Equal(Bits(v1));
        var (readK0, readV0) = kv.ReadLayer(0);
        Bits(readK0).Should().Equal(Bits(k0), "layer 0 is untouched");
        Bits(readV0).Should().Equal(Bits(v0), "layer 0 is untouched");
    }

    [Theory]
    [InlineData(Slots)]
    [InlineData(-1)]
    public void Write_tokens_refuses_a_slot_outside_the_cache(int badSlot)
    {
        using var kv = new KvCache(fixture.Accelerator, Heads, Slots);
        int[] slots = [2, badSlot];
        var rows = new Half[slots.Length * kv.SlotElements];
        var e = FluentActions.Invoking(() => kv.WriteTokens(0, slots, rows, rows)).Should().Throw<ArgumentOutOfRangeException>().Which;
        e.ParamName.Should().Be("slots");
        e.Message.Should().Contain($"Slot {badSlot}").And.Contain($"{Slots} slots");
    }

    [Fact]
    public void Write_tokens_refuses_rows_of_the_wrong_length()
    {
        using var kv = new KvCache(fixture.Accelerator, Heads, Slots);
        int[] slots = [2, 3];
        var rows = new Half[slots.Length * kv.SlotElements];
        var shortRows = new Half[rows.Length - 1];
        var e = FluentActions.Invoking(() => kv.WriteTokens(0, slots, rows, shortRows)).Should().Throw<ArgumentException>().Which;
        e.ParamName.Should().Be("v");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void Layer_refuses_a_bad_index(int layer)
    {
        using var kv = new KvCache(fixture.Accelerator, Heads, Slots, layers: 2);
        var e = FluentActions.Invoking(() => kv.Layer(layer)).Should().Throw<ArgumentOutOfRangeException>().Which;
        e.ParamName.Should().Be("layer");
        e.Message.Should().Contain("2 layers");
    }

    [Fact]
    public void A_cache_larger_than_the_device_is_refused_before_allocating()
    {
        // 2 × 2^31 layers × 2^31 slots × 1024 × 1024 × 2 bytes passes even the CPU accelerator's long.MaxValue "memory".
        var huge = new HeadConfig(1024, 1024, 1024);
        var e = FluentActions.Invoking(() => new KvCache(fixture.Accelerator, huge, int.MaxValue, int.MaxValue))
            .Should().Throw<InsufficientMemoryException>().Which;
        Int128 bytes = (Int128)2 * int.MaxValue * int.MaxValue * 1024 * 1024 * 2;
        e.Message.Should().Contain($"needs {bytes} bytes").And.Contain($"has {fixture.Accelerator.MemorySize} bytes").And.Contain("KV cache");
        e.InnerException.Should().BeNull("nothing was allocated");
    }

    [Fact]
    public void A_failed_allocation_says_how_much_was_asked_for()
    {
        // 1 PiB for K: below the CPU accelerator's MemorySize, above any address space, so the allocation itself fails.
        var heads = new HeadConfig(8, 8, 128);
        const int slots = 1 << 30, layers = 512;
        var e = FluentActions.Invoking(() => new KvCache(fixture.Accelerator, heads, slots, layers))
            .Should().Throw<InsufficientMemoryException>().Which;
        e.Message.Should().Contain($"needs {1L << 50} bytes").And.Contain($"has {fixture.Accelerator.MemorySize} bytes").And.Contain("allocation failed");
        e.InnerException.Should().BeAssignableTo<OutOfMemoryException>();
    }

    private static ushort[] Bits(Half[] values) => values.Select(ILGPU.Interop.FloatAsInt).ToArray();
}
