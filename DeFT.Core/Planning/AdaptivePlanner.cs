namespace DeFT.Core.Planning;

/// <summary>
/// A tree split that follows the tree: blocks are aligned to nodes. A node longer than
/// <see cref="PlannerOptions.BlockTokens"/> is cut into equal chunks of its own; shorter nodes, taken in
/// depth-first order, join the block before them when the block stays within BlockTokens and the
/// <see cref="PlannerOptions.CostModel"/> says one item is cheaper than two (its saved partial results and
/// KV reads outweigh the masked pairs it adds). So a long shared prompt is split for parallelism, a chain
/// of small nodes seen by the same queries is packed, and sibling leaves seen by different queries stay
/// apart instead of being computed for each other's queries, as equal-sized Flatten blocks would.
/// </summary>
public static class AdaptivePlanner
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
                int chunks = (int)(((long)length + block - 1) / block);
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
