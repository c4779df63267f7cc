using DeFT.Core.Planning;

namespace DeFT.Core.Reference;

/// <summary>
/// Executes a plan on the host in double precision: each work item's partial attention with its mask,
/// then each query's LSE merge over its CSR list. The host model of what the GPU kernels compute;
/// it checks the planner's grouping and the merge math against <see cref="ReferenceAttention"/>.
/// </summary>
public static class PlanEvaluator
{
    /// <summary>Runs <paramref name="plan"/> over <paramref name="data"/>.</summary>
    public static AttentionResult Run(AttentionPlan plan, AttentionData data)
    {
        var heads = data.Heads;
        int d = heads.HeadDim, hq = heads.QueryHeads;
        if (plan.QueryCount != data.QueryCount)
            throw new ArgumentException($"The plan has {plan.QueryCount} queries but the data holds {data.QueryCount}.", nameof(data));
        if (plan.MaxSlot >= data.SlotCount)
            throw new ArgumentException($"The plan reads slot {plan.MaxSlot}, outside the KV data ({data.SlotCount} slots).", nameof(data));
        var partialOut = new double[plan.PartialCount * hq][];
        var partialLse = new double[plan.PartialCount * hq];
        var order = plan.QueryOrder;
        foreach (var item in plan.Items)
            for (int p = item.QueryBegin; p < item.QueryEnd; p++)
                for (int h = 0; h < hq; h++)
                {
                    int kvh = h / heads.GroupSize;
                    var offsets = new List<long>();
                    for (int t = item.TokenBegin; t < item.TokenEnd; t++)
                        if (plan.TokenVisibility[t].Contains(p)) offsets.Add(data.KvOffset(plan.TokenSlots[t], kvh));
                    int slot = (item.PartialBase + p - item.QueryBegin) * hq + h;
                    partialOut[slot] = new double[d];
                    partialLse[slot] = offsets.Count == 0 ? double.NegativeInfinity
                        : SoftmaxAccumulator.Attend(data.Q.AsSpan((int)data.QOffset(order[p], h), d), offsets, data.K, data.V,
                            ScoreTransform.Default(heads), partialOut[slot]);
                }
        var output = new double[(long)plan.QueryCount * hq * d];
        var lse = new double[(long)plan.QueryCount * hq];
        for (int q = 0; q < plan.QueryCount; q++)
            for (int h = 0; h < hq; h++)
            {
                var slots = plan.PartialsOf(q).ToArray().Select(s => s * hq + h).ToArray();
                lse[(long)q * hq + h] = SoftmaxAccumulator.Merge(
                    slots.Select(s => partialLse[s]).ToArray(), slots.Select(s => partialOut[s]).ToArray(),
                    output.AsSpan((int)((long)q * hq + h) * d, d));
            }
        return new AttentionResult(output, lse);
    }
}
