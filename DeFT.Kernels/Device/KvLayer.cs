using DeFT.Core;
using ILGPU;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Device;

/// <summary>
/// One layer of KV: K and V as <c>[slots, Hkv, D]</c> fp16 views, from <see cref="KvCache.Layer"/> or built by the
/// caller over its own device memory.
/// </summary>
public readonly record struct KvLayer
{
    /// <summary>Bytes each of K and V must be aligned to: the kernels load them 128 bits at a time.</summary>
    public const int AlignmentBytes = 16;

    /// <summary>
    /// A layer over the caller's views <paramref name="k"/> and <paramref name="v"/>. Lengths are checked against the plan
    /// in <c>TreeAttention.Run</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A view does not start on a 16-byte boundary (an element offset that is not a
    /// multiple of 8 fp16 elements), which the kernels' 128-bit loads need.</exception>
    public KvLayer(ArrayView<Half> k, ArrayView<Half> v, int slotCount, HeadConfig heads)
        : this(k, v, slotCount, heads, cache: null)
    {
        DeviceChecks.Aligned(k, AlignmentBytes, nameof(k));
        DeviceChecks.Aligned(v, AlignmentBytes, nameof(v));
    }

    // Not checked for alignment: a cache's layers start at multiples of Hkv × D elements, aligned for every supported head dim.
    internal KvLayer(ArrayView<Half> k, ArrayView<Half> v, int slotCount, HeadConfig heads, KvCache? cache)
    {
        K = k;
        V = v;
        SlotCount = slotCount;
        Heads = heads;
        Cache = cache;
    }

    /// <summary>Keys, <c>[slots, Hkv, D]</c>.</summary>
    public ArrayView<Half> K { get; }

    /// <summary>Values, <c>[slots, Hkv, D]</c>.</summary>
    public ArrayView<Half> V { get; }

    /// <summary>Token slots in the layer.</summary>
    public int SlotCount { get; }

    /// <summary>The head configuration of K and V.</summary>
    public HeadConfig Heads { get; }

    /// <summary>The cache the views belong to (null for a layer built by the caller), so a run can refuse a disposed cache.</summary>
    internal KvCache? Cache { get; }
}
