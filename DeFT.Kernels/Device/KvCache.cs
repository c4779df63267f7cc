using System.Runtime.InteropServices;
using DeFT.Core;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Device;

/// <summary>
/// The device KV cache: for every layer, K and V of <see cref="SlotCount"/> token slots as
/// <c>[slots, Hkv, D]</c> fp16. Offsets are 64-bit, so a pool may exceed 2^31 elements.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly MemoryBuffer1D<Half, Stride1D.Dense> keys;
    private readonly MemoryBuffer1D<Half, Stride1D.Dense> values;

    /// <summary>Allocates <paramref name="layers"/> layers of <paramref name="slotCount"/> slots.</summary>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    /// <exception cref="InsufficientMemoryException">The cache is larger than the device's memory (checked before allocating), or
    /// the allocation failed for want of free memory; the message gives the bytes asked for and the device's size.</exception>
    public KvCache(Accelerator accelerator, HeadConfig heads, int slotCount, int layers = 1)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (slotCount < 1) throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, "Need at least one slot.");
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "Need at least one layer.");
        DeviceChecks.Live(accelerator);
        this.accelerator = accelerator;
        Heads = heads;
        SlotCount = slotCount;
        LayerCount = layers;
        // In 128-bit arithmetic: slots × heads × dim × layers can pass 2^63.
        Int128 elements = (Int128)layers * slotCount * heads.KvHeads * heads.HeadDim;
        string purpose = $"A KV cache of {layers} layers × {slotCount} slots × K and V of {heads.KvHeads} × {heads.HeadDim} fp16";
        DeviceMemory.CheckFits(accelerator, 2 * elements * ArrayView<Half>.ElementSize, purpose);
        keys = DeviceMemory.Allocate<Half>(accelerator, (long)elements, purpose);
        try
        {
            values = DeviceMemory.Allocate<Half>(accelerator, (long)elements, purpose);
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

    /// <summary>Number of layers.</summary>
    public int LayerCount { get; }

    /// <summary>fp16 elements of K (or V) in one layer.</summary>
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
            values.View.SubView(layer * LayerElements, LayerElements), SlotCount, Heads, this);
    }

    /// <summary>Writes a whole layer from host arrays <c>[slots, Hkv, D]</c>.</summary>
    public void WriteLayer(int layer, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v)
    {
        var l = Layer(layer);
        CheckLength(k.Length, LayerElements, nameof(k));
        CheckLength(v.Length, LayerElements, nameof(v));
        l.K.AsDense().CopyFromCPU(accelerator.DefaultStream, k);
        l.V.AsDense().CopyFromCPU(accelerator.DefaultStream, v);
    }

    /// <summary>
    /// Writes the K and V rows of <paramref name="slots"/> (<c>[slots.Length, Hkv, D]</c> each). Runs of
    /// consecutive slots are copied together.
    /// </summary>
    public void WriteTokens(int layer, ReadOnlySpan<int> slots, ReadOnlySpan<Half> k, ReadOnlySpan<Half> v)
    {
        var l = Layer(layer);
        int row = SlotElements;
        CheckLength(k.Length, (long)slots.Length * row, nameof(k));
        CheckLength(v.Length, (long)slots.Length * row, nameof(v));
        foreach (int s in slots)
            if (s < 0 || s >= SlotCount) throw new ArgumentOutOfRangeException(nameof(slots), s, $"Slot {s} is outside the cache ({SlotCount} slots).");
        for (int i = 0; i < slots.Length;)
        {
            int run = 1;
            while (i + run < slots.Length && slots[i + run] == slots[i] + run) run++;
            l.K.SubView((long)slots[i] * row, (long)run * row).AsDense().CopyFromCPU(accelerator.DefaultStream, k.Slice(i * row, run * row));
            l.V.SubView((long)slots[i] * row, (long)run * row).AsDense().CopyFromCPU(accelerator.DefaultStream, v.Slice(i * row, run * row));
            i += run;
        }
    }

    /// <summary><see cref="WriteLayer(int, ReadOnlySpan{Half}, ReadOnlySpan{Half})"/> from <see cref="System.Half"/> data (reinterpreted, no copy).</summary>
    public void WriteLayer(int layer, ReadOnlySpan<System.Half> k, ReadOnlySpan<System.Half> v) =>
        WriteLayer(layer, MemoryMarshal.Cast<System.Half, Half>(k), MemoryMarshal.Cast<System.Half, Half>(v));

    /// <summary><see cref="WriteTokens(int, ReadOnlySpan{int}, ReadOnlySpan{Half}, ReadOnlySpan{Half})"/> from <see cref="System.Half"/> data (reinterpreted, no copy).</summary>
    public void WriteTokens(int layer, ReadOnlySpan<int> slots, ReadOnlySpan<System.Half> k, ReadOnlySpan<System.Half> v) =>
        WriteTokens(layer, slots, MemoryMarshal.Cast<System.Half, Half>(k), MemoryMarshal.Cast<System.Half, Half>(v));

    /// <summary>Reads a whole layer back to the host.</summary>
    public (Half[] K, Half[] V) ReadLayer(int layer)
    {
        var l = Layer(layer);
        return (l.K.GetAsArray(), l.V.GetAsArray());
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
