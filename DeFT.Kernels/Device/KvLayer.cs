using DeFT.Core;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Device;

/// <summary>
/// One layer of KV: K and V as <c>[slots, Hkv, D]</c> views of 16-bit elements (fp16 or bf16, <see cref="Elements"/>), from
/// <see cref="KvCache.Layer"/> or built by the caller over its own device memory (no copy).
/// </summary>
public readonly record struct KvLayer
{
    /// <summary>Bytes each of K and V must be aligned to: the kernels load them 128 bits at a time.</summary>
    public const int AlignmentBytes = 16;

    /// <summary>
    /// An fp16 layer over the caller's views <paramref name="k"/> and <paramref name="v"/>. Lengths are checked against the
    /// plan in <c>TreeAttention.Run</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A view does not start on a 16-byte boundary (an element offset that is not a
    /// multiple of 8 elements), which the kernels' 128-bit loads need.</exception>
    public KvLayer(ArrayView<Half> k, ArrayView<Half> v, int slotCount, HeadConfig heads)
        : this(k.Cast<ushort>(), v.Cast<ushort>(), ElementType.Float16, slotCount, heads, cache: null) => CheckAlignment(k, v);

    /// <summary>An fp16 layer over <see cref="System.Half"/> views (reinterpreted, no copy).</summary>
    /// <exception cref="ArgumentException">A view does not start on a 16-byte boundary.</exception>
    public KvLayer(ArrayView<System.Half> k, ArrayView<System.Half> v, int slotCount, HeadConfig heads)
        : this(k.Cast<ushort>(), v.Cast<ushort>(), ElementType.Float16, slotCount, heads, cache: null) => CheckAlignment(k, v);

    /// <summary>A bf16 layer over the caller's views <paramref name="k"/> and <paramref name="v"/>.</summary>
    /// <exception cref="ArgumentException">A view does not start on a 16-byte boundary.</exception>
    public KvLayer(ArrayView<BFloat16> k, ArrayView<BFloat16> v, int slotCount, HeadConfig heads)
        : this(k.Cast<ushort>(), v.Cast<ushort>(), ElementType.BFloat16, slotCount, heads, cache: null) => CheckAlignment(k, v);

    /// <summary>
    /// A layer over K and V memory the caller owns and ILGPU did not allocate: raw device pointers (on the CPU
    /// accelerator, host pointers), e.g. an inference engine's own KV tensors, each <c>[slots, Hkv, D]</c> of
    /// <paramref name="elements"/>. Nothing is copied and nothing is freed: the memory must outlive every run on it.
    /// </summary>
    /// <exception cref="ArgumentException">A pointer is null or not 16-byte aligned, or the accelerator is neither CUDA nor CPU.</exception>
    public static KvLayer FromPointers(Accelerator accelerator, IntPtr k, IntPtr v, int slotCount, HeadConfig heads,
        ElementType elements = ElementType.Float16)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        DeviceChecks.Live(accelerator);
        if (!Enum.IsDefined(elements)) throw new ArgumentOutOfRangeException(nameof(elements), elements, "Unknown element type.");
        if (slotCount < 1) throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, "Need at least one slot.");
        long length = (long)slotCount * heads.KvHeads * heads.HeadDim;
        var kView = ForeignMemory.View<ushort>(accelerator, k, length, nameof(k));
        var vView = ForeignMemory.View<ushort>(accelerator, v, length, nameof(v));
        CheckAlignment(kView, vView);
        return new KvLayer(kView, vView, elements, slotCount, heads, cache: null);
    }

    // Not checked for alignment: a cache's layers start at multiples of Hkv × D elements, aligned for every supported head dim.
    internal KvLayer(ArrayView<ushort> k, ArrayView<ushort> v, ElementType elements, int slotCount, HeadConfig heads, KvCache? cache)
    {
        KBits = k;
        VBits = v;
        Elements = elements;
        SlotCount = slotCount;
        Heads = heads;
        Cache = cache;
    }

    /// <summary>The element type of K and V.</summary>
    public ElementType Elements { get; }

    /// <summary>Keys of an fp16 layer, <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The layer holds bf16 (use <see cref="KBFloat16"/>).</exception>
    public ArrayView<Half> K => As<Half>(KBits, ElementType.Float16);

    /// <summary>Values of an fp16 layer, <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The layer holds bf16 (use <see cref="VBFloat16"/>).</exception>
    public ArrayView<Half> V => As<Half>(VBits, ElementType.Float16);

    /// <summary>Keys of a bf16 layer, <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The layer holds fp16 (use <see cref="K"/>).</exception>
    public ArrayView<BFloat16> KBFloat16 => As<BFloat16>(KBits, ElementType.BFloat16);

    /// <summary>Values of a bf16 layer, <c>[slots, Hkv, D]</c>.</summary>
    /// <exception cref="InvalidOperationException">The layer holds fp16 (use <see cref="V"/>).</exception>
    public ArrayView<BFloat16> VBFloat16 => As<BFloat16>(VBits, ElementType.BFloat16);

    /// <summary>Token slots in the layer.</summary>
    public int SlotCount { get; }

    /// <summary>The head configuration of K and V.</summary>
    public HeadConfig Heads { get; }

    /// <summary>Keys as raw 16-bit elements (what the kernels read).</summary>
    internal ArrayView<ushort> KBits { get; }

    /// <summary>Values as raw 16-bit elements.</summary>
    internal ArrayView<ushort> VBits { get; }

    /// <summary>The cache the views belong to (null for a layer built by the caller), so a run can refuse a disposed cache.</summary>
    internal KvCache? Cache { get; }

    private ArrayView<T> As<T>(ArrayView<ushort> bits, ElementType wanted) where T : unmanaged =>
        Elements == wanted ? bits.Cast<T>()
            : throw new InvalidOperationException($"The layer holds {Elements} elements, not {wanted}.");

    private static void CheckAlignment<T>(ArrayView<T> k, ArrayView<T> v) where T : unmanaged
    {
        DeviceChecks.Aligned(k, AlignmentBytes, nameof(k));
        DeviceChecks.Aligned(v, AlignmentBytes, nameof(v));
    }
}
