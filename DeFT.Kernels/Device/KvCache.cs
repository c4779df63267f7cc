using System.Runtime.InteropServices;
using DeFT.Core;
using ILGPU;
using ILGPU.Runtime;
using DeFT.Kernels.Primitives;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Device;

/// <summary>
/// The device KV cache: for every layer, K and V of <see cref="SlotCount"/> token slots as <c>[slots, Hkv, D]</c>
/// 16-bit elements (fp16 or bf16: <see cref="Elements"/>). Offsets are 64-bit, so a pool may exceed 2^31 elements.
/// New tokens are written from host spans or, without a copy through the host, from device views on the caller's stream.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> keys;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense> values;
    private Action<AcceleratorStream, Index1D, KvScatter>? scatter;

    /// <summary>Allocates <paramref name="layers"/> layers of <paramref name="slotCount"/> slots of <paramref name="elements"/> (default fp16).</summary>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    /// <exception cref="InsufficientMemoryException">The cache is larger than the device's memory (checked before allocating), or
    /// the allocation failed for want of free memory; the message gives the bytes asked for and the device's size.</exception>
    public KvCache(Accelerator accelerator, HeadConfig heads, int slotCount, int layers = 1, ElementType elements = ElementType.Float16)
    {
        if (!Enum.IsDefined(elements)) throw new ArgumentOutOfRangeException(nameof(elements), elements, "Unknown element type.");
        ArgumentNullException.ThrowIfNull(accelerator);
        if (slotCount < 1) throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, "Need at least one slot.");
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "Need at least one layer.");
        DeviceChecks.Live(accelerator);
        this.accelerator = accelerator;
        Heads = heads;
        SlotCount = slotCount;
        LayerCount = layers;
        Elements = elements;
        // In 128-bit arithmetic: slots × heads × dim × layers can pass 2^63.
        Int128 count = (Int128)layers * slotCount * heads.KvHeads * heads.HeadDim;
        string purpose = $"A KV cache of {layers} layers × {slotCount} slots × K and V of {heads.KvHeads} × {heads.HeadDim} {elements}";
        DeviceMemory.CheckFits(accelerator, 2 * count * sizeof(ushort), purpose);
        keys = DeviceMemory.Allocate<ushort>(accelerator, (long)count, purpose);
        try
        {
            values = DeviceMemory.Allocate<ushort>(accelerator, (long)count, purpose);
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>The head configuration.</summary>
    public HeadConfig Heads { get; }

    /// <summary>Token slots per layer.</summary>
    public int SlotCount { get; }

    /// <summary>The element type of K and V.</summary>
    public ElementType Elements { get; }

    /// <summary>Number of layers.</summary>
    public int LayerCount { get; }

    /// <summary>Elements of K (or V) in one layer.</summary>
    public long LayerElements => (long)SlotCount * Heads.KvHeads * Heads.HeadDim;

    /// <summary>Elements of one token slot (all KV heads).</summary>
    public int SlotElements => Heads.KvHeads * Heads.HeadDim;

    /// <summary>True once the device memory is freed, by <see cref="Dispose"/> or by disposing the accelerator.</summary>
    public bool IsDisposed => keys.IsDisposed || values.IsDisposed;

    /// <summary>The views of layer <paramref name="layer"/>.</summary>
    /// <exception cref="ObjectDisposedException">The cache or its accelerator has been disposed.</exception>
    public KvLayer Layer(int layer)
    {
        DeviceChecks.Live(accelerator);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        CheckLayer(layer);
        return new KvLayer(keys.View.SubView(layer * LayerElements, LayerElements),
            values.View.SubView(layer * LayerElements, LayerElements), Elements, SlotCount, Heads, this);
    }

    /// <summary>Writes a whole fp16 layer from host arrays <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The cache holds bf16.</exception>
    public void WriteLayer(int layer, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v) =>
        WriteLayerBits(layer, ElementType.Float16, MemoryMarshal.Cast<Half, ushort>(k), MemoryMarshal.Cast<Half, ushort>(v));

    /// <summary>Writes a whole fp16 layer from <see cref="System.Half"/> data.</summary>
    /// <exception cref="InvalidOperationException">The cache holds bf16.</exception>
    public void WriteLayer(int layer, ReadOnlySpan<System.Half> k, ReadOnlySpan<System.Half> v) =>
        WriteLayerBits(layer, ElementType.Float16, MemoryMarshal.Cast<System.Half, ushort>(k), MemoryMarshal.Cast<System.Half, ushort>(v));

    /// <summary>Writes a whole bf16 layer from host arrays <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The cache holds fp16.</exception>
    public void WriteLayer(int layer, ReadOnlySpan<BFloat16> k, ReadOnlySpan<BFloat16> v) =>
        WriteLayerBits(layer, ElementType.BFloat16, MemoryMarshal.Cast<BFloat16, ushort>(k), MemoryMarshal.Cast<BFloat16, ushort>(v));

    /// <summary>
    /// Writes the fp16 K and V rows of <paramref name="slots"/> (<c>[slots.Length, Hkv, D]</c> each) from the host. Runs of
    /// consecutive slots are copied together.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cache holds bf16.</exception>
    public void WriteTokens(int layer, ReadOnlySpan<int> slots, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v) =>
        WriteTokenBits(layer, ElementType.Float16, slots, MemoryMarshal.Cast<Half, ushort>(k), MemoryMarshal.Cast<Half, ushort>(v));

    /// <summary>Writes fp16 rows of <paramref name="slots"/> from <see cref="System.Half"/> data.</summary>
    /// <exception cref="InvalidOperationException">The cache holds bf16.</exception>
    public void WriteTokens(int layer, ReadOnlySpan<int> slots, ReadOnlySpan<System.Half> k, ReadOnlySpan<System.Half> v) =>
        WriteTokenBits(layer, ElementType.Float16, slots, MemoryMarshal.Cast<System.Half, ushort>(k), MemoryMarshal.Cast<System.Half, ushort>(v));

    /// <summary>Writes bf16 rows of <paramref name="slots"/> from the host.</summary>
    /// <exception cref="InvalidOperationException">The cache holds fp16.</exception>
    public void WriteTokens(int layer, ReadOnlySpan<int> slots, ReadOnlySpan<BFloat16> k, ReadOnlySpan<BFloat16> v) =>
        WriteTokenBits(layer, ElementType.BFloat16, slots, MemoryMarshal.Cast<BFloat16, ushort>(k), MemoryMarshal.Cast<BFloat16, ushort>(v));

    /// <summary>
    /// Enqueues on <paramref name="stream"/> (default: the accelerator's) a device-side write of the fp16 K and V rows in
    /// <paramref name="k"/> and <paramref name="v"/> (<c>[n, Hkv, D]</c>, e.g. the engine's projection output) into the
    /// slots <paramref name="slots"/> (<c>n</c> device ints): nothing passes through the host. Slots are not range-checked on
    /// the device (the kernel skips slots outside the cache); sizes, accelerator and alignment are checked here.
    /// </summary>
    public void WriteTokens(int layer, ArrayView<int> slots, ArrayView<Half> k, ArrayView<Half> v, AcceleratorStream? stream = null) =>
        Scatter(layer, ElementType.Float16, slots, k.Cast<ushort>(), v.Cast<ushort>(), stream);

    /// <summary>The device-side write of <see cref="System.Half"/> rows (see the fp16 overload).</summary>
    public void WriteTokens(int layer, ArrayView<int> slots, ArrayView<System.Half> k, ArrayView<System.Half> v, AcceleratorStream? stream = null) =>
        Scatter(layer, ElementType.Float16, slots, k.Cast<ushort>(), v.Cast<ushort>(), stream);

    /// <summary>The device-side write of bf16 rows (see the fp16 overload).</summary>
    public void WriteTokens(int layer, ArrayView<int> slots, ArrayView<BFloat16> k, ArrayView<BFloat16> v, AcceleratorStream? stream = null) =>
        Scatter(layer, ElementType.BFloat16, slots, k.Cast<ushort>(), v.Cast<ushort>(), stream);

    /// <summary>Reads a whole fp16 layer back to the host.</summary>
    /// <exception cref="InvalidOperationException">The cache holds bf16 (use <see cref="ReadLayerBFloat16"/>).</exception>
    public (Half[] K, Half[] V) ReadLayer(int layer)
    {
        var l = Layer(layer);
        return (l.K.GetAsArray(), l.V.GetAsArray());
    }

    /// <summary>Reads a whole bf16 layer back to the host.</summary>
    /// <exception cref="InvalidOperationException">The cache holds fp16 (use <see cref="ReadLayer"/>).</exception>
    public (BFloat16[] K, BFloat16[] V) ReadLayerBFloat16(int layer)
    {
        var l = Layer(layer);
        return (l.KBFloat16.GetAsArray(), l.VBFloat16.GetAsArray());
    }

    private void WriteLayerBits(int layer, ElementType type, ReadOnlySpan<ushort> k, ReadOnlySpan<ushort> v)
    {
        var l = Layer(layer);
        CheckType(type);
        CheckLength(k.Length, LayerElements, nameof(k));
        CheckLength(v.Length, LayerElements, nameof(v));
        l.KBits.AsDense().CopyFromCPU(accelerator.DefaultStream, k);
        l.VBits.AsDense().CopyFromCPU(accelerator.DefaultStream, v);
    }

    private void WriteTokenBits(int layer, ElementType type, ReadOnlySpan<int> slots, ReadOnlySpan<ushort> k, ReadOnlySpan<ushort> v)
    {
        var l = Layer(layer);
        CheckType(type);
        int row = SlotElements;
        CheckLength(k.Length, (long)slots.Length * row, nameof(k));
        CheckLength(v.Length, (long)slots.Length * row, nameof(v));
        foreach (int s in slots)
            if (s < 0 || s >= SlotCount) throw new ArgumentOutOfRangeException(nameof(slots), s, $"Slot {s} is outside the cache ({SlotCount} slots).");
        for (int i = 0; i < slots.Length;)
        {
            int run = 1;
            while (i + run < slots.Length && slots[i + run] == slots[i] + run) run++;
            l.KBits.SubView((long)slots[i] * row, (long)run * row).AsDense().CopyFromCPU(accelerator.DefaultStream, k.Slice(i * row, run * row));
            l.VBits.SubView((long)slots[i] * row, (long)run * row).AsDense().CopyFromCPU(accelerator.DefaultStream, v.Slice(i * row, run * row));
            i += run;
        }
    }

    private void Scatter(int layer, ElementType type, ArrayView<int> slots, ArrayView<ushort> k, ArrayView<ushort> v, AcceleratorStream? stream)
    {
        var l = Layer(layer);
        CheckType(type);
        DeviceChecks.View(slots, accelerator, nameof(slots), nameof(slots), emptyIsError: false);
        DeviceChecks.View(k, accelerator, nameof(k), nameof(k), emptyIsError: false);
        DeviceChecks.View(v, accelerator, nameof(v), nameof(v), emptyIsError: false);
        DeviceChecks.Aligned(k, KvLayer.AlignmentBytes, nameof(k));
        DeviceChecks.Aligned(v, KvLayer.AlignmentBytes, nameof(v));
        if (stream is not null) DeviceChecks.Stream(stream, accelerator, nameof(stream));
        CheckLength(k.Length, slots.Length * SlotElements, nameof(k));
        CheckLength(v.Length, slots.Length * SlotElements, nameof(v));
        if (slots.Length == 0) return;
        scatter ??= accelerator.LoadAutoGroupedKernel<Index1D, KvScatter>(KvScatter.Kernel);
        int chunksPerSlot = SlotElements / 8;
        long chunks = slots.Length * chunksPerSlot;
        if (chunks > int.MaxValue)
            throw new ArgumentException($"{slots.Length} slots are too many for one write ({chunks} chunks); split the write.", nameof(slots));
        scatter(stream ?? accelerator.DefaultStream, (int)chunks, new KvScatter
        {
            Slots = slots, SourceK = k.Cast<Vec16>(), SourceV = v.Cast<Vec16>(),
            K = l.KBits.Cast<Vec16>(), V = l.VBits.Cast<Vec16>(), ChunksPerSlot = chunksPerSlot, SlotCount = SlotCount,
        });
    }

    private void CheckType(ElementType type)
    {
        if (type != Elements) throw new InvalidOperationException($"The cache holds {Elements} elements, not {type}.");
    }

    /// <summary>Frees the device memory; later use of the cache or of its layers throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        keys.Dispose();
        values.Dispose();
    }

    private void CheckLayer(int layer)
    {
        if (layer < 0 || layer >= LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The cache has {LayerCount} layers.");
    }

    private static void CheckLength(long actual, long expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} elements; expected {expected}.", name);
    }
}
