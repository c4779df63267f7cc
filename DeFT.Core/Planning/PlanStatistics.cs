namespace DeFT.Core.Planning;

/// <summary>
/// The IO model of a plan for one layer: what the partial-attention and reduction passes read and write.
/// KV is counted per work item (a token in k items is read k times); partial results are rows of D elements of the
/// kernels' partial type (fp32 unless told: fp16 runs store fp16 rows) plus one fp32 LSE per (partial slot, query head).
/// </summary>
/// <param name="KvBytesRead">K and V bytes read by all work items.</param>
/// <param name="UniqueKvBytes">K and V bytes of the distinct visible tokens: the least any method must read.</param>
/// <param name="QueryBytes">Q bytes read plus output bytes written (both [queries, Hq, D]).</param>
/// <param name="PartialBytesWritten">Partial outputs and LSEs written by the partial pass.</param>
/// <param name="PartialBytesRead">Partial outputs and LSEs read by the reduction.</param>
/// <param name="WorkItems">Number of work items.</param>
/// <param name="PaddedPairs">(query, token) pairs computed but masked out.</param>
/// <param name="Flops">Floating-point operations the kernels perform (QKᵀ and PV over every item's rows × tokens).</param>
/// <param name="UsefulFlops">Floating-point operations over visible (query, token) pairs only.</param>
public sealed record PlanStatistics(long KvBytesRead, long UniqueKvBytes, long QueryBytes, long PartialBytesWritten,
    long PartialBytesRead, int WorkItems, long PaddedPairs, double Flops, double UsefulFlops)
{
    /// <summary>
    /// Computes the model for <paramref name="plan"/> with <paramref name="heads"/>, KV/Q elements of
    /// <paramref name="elementBytes"/> bytes and partial rows of <paramref name="partialElementBytes"/> bytes per element.
    /// </summary>
    public static PlanStatistics Compute(AttentionPlan plan, HeadConfig heads, int elementBytes = 2, int partialElementBytes = sizeof(float))
    {
        long kvTokenBytes = 2L * heads.KvHeads * heads.HeadDim * elementBytes;
        long partialBytes = (long)heads.QueryHeads * ((long)heads.HeadDim * partialElementBytes + sizeof(float));
        long tokenReads = 0, pairs = 0;
        foreach (var item in plan.Items)
        {
            tokenReads += item.TokenCount;
            pairs += (long)item.TokenCount * item.QueryCount;
        }
        double flopsPerPair = 4.0 * heads.QueryHeads * heads.HeadDim;
        return new PlanStatistics(
            KvBytesRead: tokenReads * kvTokenBytes,
            UniqueKvBytes: plan.UniqueTokens * kvTokenBytes,
            QueryBytes: 2L * plan.QueryCount * heads.QueryHeads * heads.HeadDim * elementBytes,
            PartialBytesWritten: plan.PartialCount * partialBytes,
            PartialBytesRead: plan.PartialSlots.Length * partialBytes,
            WorkItems: plan.Items.Length,
            PaddedPairs: pairs - plan.VisiblePairs,
            Flops: pairs * flopsPerPair,
            UsefulFlops: plan.VisiblePairs * flopsPerPair);
    }
}
