using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2b, the global reduction: each (query, query head) merges the partials on its CSR list with
/// the LSE rule <c>O = Σ 2^(lse_i − M)·o_i / Σ 2^(lse_i − M)</c>, M = max lse_i. A fixed order and no atomics make it
/// deterministic. Queries with a single partial were finished by the partial kernel and are skipped.
/// <para>
/// Grid: one warp per query and <see cref="MergeLayout.Heads"/> of its query heads (2 at D 128, in 16-lane segments;
/// <see cref="WarpsPerQuery"/>), <see cref="WarpsPerGroup"/> warps per group. The heads of a query share its partial list,
/// so the warp reads the list once, and a merge waits on dependent round trips more than on bytes, so it has as few as
/// the data allows: the list bounds, then the slots of a batch of 32 partials (lane k reads the k-th), then together the
/// batch's LSEs (a lane holds 32 / Stride of its head's) and the rows. A lane owns 8 dims of its head's row and issues
/// the loads of up to <see cref="MergeLoads.Depth"/> partials before it uses any, their slots taken from lane k by
/// shuffles; the head's batch maximum moves M (the sums so far rescaled when it does) while they fly. Each segment
/// writes its head's row. Registers only: no shared memory, no barriers.
/// </para>
/// </summary>
internal static class MergeKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>Warps per group.</summary>
    public const int WarpsPerGroup = GroupSize / 32;

    /// <summary>Warps the merge of one query takes at head dimension <paramref name="dim"/>.</summary>
    public static int WarpsPerQuery(int dim, int queryHeads) => MergeLayout.WarpsPerQuery(dim, queryHeads);

    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/> and element type <typeparamref name="TElement"/>.</summary>
    internal static void Kernel<TDim, TElement>(AttentionParams p) where TDim : struct, IHeadDim where TElement : struct, IElement
    {
        int dim = default(TDim).Value;
        int warp = Grid.IdxX * WarpsPerGroup + Group.IdxX / 32;
        int lane = Group.IdxX % 32;
        int warpsPerQuery = MergeLayout.WarpsPerQuery(dim, p.QueryHeads);
        if (warp >= p.QueryOrder.Length * warpsPerQuery) return;
        int query = warp / warpsPerQuery;
        var layout = new MergeLayout(dim);
        int head = (warp - query * warpsPerQuery) * layout.Heads + layout.Segment;
        bool hasHead = head < p.QueryHeads;
        bool active = hasHead && layout.Unit < layout.RowLanes;
        int begin = p.PartialOffsets[query];
        int end = p.PartialOffsets[query + 1];
        if (end - begin == 1) return; // finished by the partial kernel (warp-uniform)

        int depth = MergeLoads.DepthOf<TElement>();
        var sums = default(MergeUnit);
        var loads = default(MergeLoads);
        var weights = default(MergeLses);
        float max = float.NegativeInfinity, sum = 0f;
        for (int batch = begin; batch < end; batch += 32)
        {
            int count = XMath.Min(32, end - batch);
            int slot = lane < count ? p.PartialSlots[batch + lane] : 0;
            weights.Load(layout.LsesPerLane, layout, count, slot, hasHead, head, p.QueryHeads, p.PartialLse);
            // The first rows' loads fly with the LSEs'.
            loads.Load<TElement>(XMath.Min(count, depth), 0, layout, slot, active, head, p.QueryHeads, dim, p.PartialOutput);
            float batchMax = float.NegativeInfinity;
            weights.Max(layout.LsesPerLane, ref batchMax);
            batchMax = WarpReduce.Max(batchMax, layout.Stride);
            if (batchMax > max)
            {
                // The first batch finds max = −∞ and scales zeros by 0; later ones rescale what the earlier batches summed.
                float correction = FastExp2.Exp2(max - batchMax);
                sum *= correction;
                sums.Scale(correction);
                max = batchMax;
            }
            weights.Weigh(layout.LsesPerLane, max, ref sum);
            loads.Accumulate<TElement>(XMath.Min(count, depth), 0, layout, weights, active, ref sums);
            for (int first = depth; first < count; first += depth)
            {
                int steps = XMath.Min(count - first, depth);
                loads.Load<TElement>(steps, first, layout, slot, active, head, p.QueryHeads, dim, p.PartialOutput);
                loads.Accumulate<TElement>(steps, first, layout, weights, active, ref sums);
            }
        }
        sum = WarpReduce.Sum(sum, layout.Stride);
        if (!hasHead) return;
        long outRow = (long)query * p.QueryHeads + head;
        if (active) sums.Write<TElement>(p.Output.Cast<uint>(), outRow * (dim / 2) + layout.Unit * (MergeLayout.UnitDims / 2), 1f / sum);
        if (layout.Unit == 0 && p.Lse.Length > 0) p.Lse[outRow] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
