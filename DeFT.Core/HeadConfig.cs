namespace DeFT.Core;

/// <summary>Attention head configuration: query heads, KV heads (GQA when fewer) and head dimension.</summary>
public readonly record struct HeadConfig
{
    /// <summary>Creates a config; throws <see cref="ArgumentException"/> when Hq is not a positive multiple of Hkv.</summary>
    public HeadConfig(int queryHeads, int kvHeads, int headDim)
    {
        if (queryHeads < 1) throw new ArgumentOutOfRangeException(nameof(queryHeads), queryHeads, "Need at least one query head.");
        if (kvHeads < 1) throw new ArgumentOutOfRangeException(nameof(kvHeads), kvHeads, "Need at least one KV head.");
        if (headDim < 1) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "Head dimension must be positive.");
        if (queryHeads % kvHeads != 0)
            throw new ArgumentException($"Query heads ({queryHeads}) must be a multiple of KV heads ({kvHeads}).", nameof(kvHeads));
        QueryHeads = queryHeads;
        KvHeads = kvHeads;
        HeadDim = headDim;
    }

    /// <summary>Number of query heads (Hq).</summary>
    public int QueryHeads { get; }

    /// <summary>Number of KV heads (Hkv).</summary>
    public int KvHeads { get; }

    /// <summary>Head dimension (D).</summary>
    public int HeadDim { get; }

    /// <summary>Query heads per KV head (G = Hq / Hkv); query head h reads KV head h / G.</summary>
    public int GroupSize => QueryHeads / KvHeads;

    /// <summary>The softmax scale 1/sqrt(D).</summary>
    public double Scale => 1.0 / Math.Sqrt(HeadDim);

    /// <inheritdoc/>
    public override string ToString() => $"Hq {QueryHeads} / Hkv {KvHeads} / D {HeadDim}";
}
