namespace DeFT.Core.Reference;

/// <summary>
/// Host copies of one layer's attention inputs in fp32 (values exactly representable in fp16):
/// Q as <c>[queries, Hq, D]</c>, K and V as <c>[slots, Hkv, D]</c>.
/// </summary>
public sealed class AttentionData
{
    /// <summary>Wraps existing arrays; throws <see cref="ArgumentException"/> when their sizes do not match the shape.</summary>
    public AttentionData(HeadConfig heads, int queryCount, int slotCount, float[] q, float[] k, float[] v)
    {
        Heads = heads;
        QueryCount = queryCount;
        SlotCount = slotCount;
        Check(q, (long)queryCount * heads.QueryHeads * heads.HeadDim, nameof(q));
        Check(k, (long)slotCount * heads.KvHeads * heads.HeadDim, nameof(k));
        Check(v, (long)slotCount * heads.KvHeads * heads.HeadDim, nameof(v));
        Q = q;
        K = k;
        V = v;
    }

    /// <summary>The head configuration.</summary>
    public HeadConfig Heads { get; }

    /// <summary>Number of queries (rows of Q).</summary>
    public int QueryCount { get; }

    /// <summary>Number of KV-cache slots.</summary>
    public int SlotCount { get; }

    /// <summary>Queries, <c>[queries, Hq, D]</c>.</summary>
    public float[] Q { get; }

    /// <summary>Keys, <c>[slots, Hkv, D]</c>.</summary>
    public float[] K { get; }

    /// <summary>Values, <c>[slots, Hkv, D]</c>.</summary>
    public float[] V { get; }

    /// <summary>Offset of (query, query head) in Q.</summary>
    public long QOffset(int query, int head) => ((long)query * Heads.QueryHeads + head) * Heads.HeadDim;

    /// <summary>Offset of (slot, KV head) in K and V.</summary>
    public long KvOffset(int slot, int kvHead) => ((long)slot * Heads.KvHeads + kvHead) * Heads.HeadDim;

    /// <summary>
    /// Random inputs, uniform in ±<paramref name="magnitude"/>, rounded to fp16. A large magnitude gives
    /// large logits (a softmax-stability test); magnitude 0 gives all-equal logits (K is still random, Q is 0).
    /// </summary>
    public static AttentionData Random(HeadConfig heads, int queryCount, int slotCount, int seed, float magnitude = 1f)
    {
        var rng = new Random(seed);
        float[] Fill(long n, float scale)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++) a[i] = (float)(Half)((rng.NextSingle() * 2 - 1) * scale);
            return a;
        }
        var q = Fill((long)queryCount * heads.QueryHeads * heads.HeadDim, magnitude);
        float kvScale = magnitude == 0 ? 1f : magnitude;
        var k = Fill((long)slotCount * heads.KvHeads * heads.HeadDim, kvScale);
        var v = Fill((long)slotCount * heads.KvHeads * heads.HeadDim, kvScale);
        return new AttentionData(heads, queryCount, slotCount, q, k, v);
    }

    private static void Check(float[] a, long expected, string name)
    {
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.LongLength != expected)
            throw new ArgumentException($"{name} has {a.LongLength} elements; the shape needs {expected}.", name);
    }
}
