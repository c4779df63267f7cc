namespace DeFT.Core.Planning;

/// <summary>
/// Byte-equivalent costs the <see cref="AdaptivePlanner"/> weighs when it decides whether two adjacent
/// tree segments share a work item: KV read once per item, partial results written and read once per
/// (item, query), and the arithmetic of every (query, token) pair of the item, masked or not, converted
/// to bytes at the device's FLOP-per-byte balance.
/// </summary>
/// <param name="KvBytesPerToken">K and V bytes of one token (all KV heads).</param>
/// <param name="PartialBytesPerQuery">Partial output + LSE bytes written and read back per (item, query).</param>
/// <param name="BytesPerPair">Arithmetic of one (query, token) pair, in bytes of memory time.</param>
/// <param name="QueriesPerTile">Queries whose rows fill one tensor-core m-tile (16 rows / G query heads per KV head):
/// the arithmetic is paid in whole tiles, so packing up to this many queries costs no more than one.</param>
public sealed record PlanCostModel(double KvBytesPerToken, double PartialBytesPerQuery, double BytesPerPair, int QueriesPerTile = 1)
{
    /// <summary>
    /// The model for <paramref name="heads"/> with KV elements of <paramref name="elementBytes"/> bytes on a device doing
    /// <paramref name="flopsPerByte"/> tensor FLOPs per byte of bandwidth (about 130 on an H100/H200: ~550 TFLOP/s over ~4.2 TB/s).
    /// </summary>
    public static PlanCostModel For(HeadConfig heads, int elementBytes = 2, double flopsPerByte = 130) => new(
        KvBytesPerToken: 2.0 * heads.KvHeads * heads.HeadDim * elementBytes,
        PartialBytesPerQuery: 2.0 * heads.QueryHeads * (heads.HeadDim + 1) * sizeof(float),
        BytesPerPair: 4.0 * heads.QueryHeads * heads.HeadDim / flopsPerByte,
        QueriesPerTile: Math.Max(1, 16 / heads.GroupSize));

    /// <summary>The model for Hq 32 / Hkv 8 / D 128 in fp16.</summary>
    public static PlanCostModel Default { get; } = For(new HeadConfig(32, 8, 128));

    /// <summary>Cost of one work item of <paramref name="tokens"/> tokens over a query range of <paramref name="queries"/>.</summary>
    public double Cost(int tokens, int queries) =>
        Cost<HostArithmetic>(tokens, queries, KvBytesPerToken, PartialBytesPerQuery, BytesPerPair, QueriesPerTile);

    /// <summary>
    /// <see cref="Cost(int, int)"/> of a model given by its fields, with every multiply and add rounded by
    /// <typeparamref name="TArithmetic"/>: the device planner calls this from a kernel with operations that the CUDA
    /// compiler may not fuse into one multiply-add (which would round once where the host rounds twice), so its packing
    /// decisions are the host's bit for bit.
    /// </summary>
    internal static double Cost<TArithmetic>(int tokens, int queries, double kvBytesPerToken, double partialBytesPerQuery,
        double bytesPerPair, int queriesPerTile) where TArithmetic : struct, IRoundedArithmetic
    {
        var a = default(TArithmetic);
        int tile = Math.Max(1, queriesPerTile);
        // Unsigned 32-bit division (exact for queries in [0, int.MaxValue]): a 64-bit one is a long instruction sequence
        // in the device planner's packing loop, which evaluates this for every node it considers.
        long computedQueries = (long)(((uint)queries + (uint)(tile - 1)) / (uint)tile) * tile;
        return a.Add(
            a.Add(a.Multiply(tokens, kvBytesPerToken), a.Multiply(queries, partialBytesPerQuery)),
            a.Multiply(a.Multiply(tokens, computedQueries), bytesPerPair));
    }
}
