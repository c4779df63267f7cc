using DeFT.Core.Planning;

namespace DeFT.Tests.Support;

/// <summary>
/// The Adaptive planner as it was before the parallelism target (commit c356ea9), frozen: without a target the
/// planner must produce exactly these plans (<c>AdaptiveTargetTests</c>).
/// </summary>
internal static class LegacyAdaptivePlanner
{
    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        var builder = new PlanBuilder(PlanMethod.Adaptive, layout.FlatSlotsArray, layout.FlatVisibilityArray, layout.QueryOrderArray, options);
        var visibility = layout.FlatVisibilityArray;
        var model = options.CostModel;
        int block = options.BlockTokens;
        int curBegin = 0, curEnd = 0, curLo = 0, curHi = 0;
        foreach (int node in layout.PreOrder)
        {
            var (begin, end) = layout.NodeFlatRange(node);
            int length = end - begin;
            if (length == 0) continue;
            if (length > block)
            {
                builder.AddGroup(curBegin, curEnd);
                curBegin = curEnd = end;
                int chunks = (length + block - 1) / block;
                for (int c = 0; c < chunks; c++)
                    builder.AddGroup(begin + (int)((long)c * length / chunks), begin + (int)((long)(c + 1) * length / chunks));
                continue;
            }
            int lo = int.MaxValue, hi = int.MinValue;
            for (int t = begin; t < end; t++)
            {
                lo = Math.Min(lo, visibility[t].Begin);
                hi = Math.Max(hi, visibility[t].End);
            }
            if (curEnd > curBegin && curEnd - curBegin + length <= block)
            {
                int mergedLo = Math.Min(curLo, lo), mergedHi = Math.Max(curHi, hi);
                double together = model.Cost(curEnd - curBegin + length, mergedHi - mergedLo);
                double apart = model.Cost(curEnd - curBegin, curHi - curLo) + model.Cost(length, hi - lo);
                if (together <= apart)
                {
                    (curEnd, curLo, curHi) = (end, mergedLo, mergedHi);
                    continue;
                }
            }
            builder.AddGroup(curBegin, curEnd);
            (curBegin, curEnd, curLo, curHi) = (begin, end, lo, hi);
        }
        builder.AddGroup(curBegin, curEnd);
        return builder.Build(layout.FlatSlots.Length);
    }
}
