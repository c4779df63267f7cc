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
/// Grid: a group of 32 × <see cref="PairsPerGroup"/> threads per query and <see cref="PairsPerGroup"/> query heads; warp y
/// of group (q, b) merges query q's head 4b + y (no division in the indexing). The merge has as few dependent round
/// trips as the data allows: the row's list bounds, then the slots of a batch of 32 partials (lane k reads the k-th
/// slot), then together the batch's LSEs (lane k) and the rows themselves. A lane owns 8 dims of a row
/// (<see cref="MergeLayout"/>: 16 lanes cover a row at D = 128, so two chains read two partials side by side) and issues
/// the loads of up to <see cref="MergeLoads.Depth"/> partials of its chain before it uses any, their slots taken from
/// lane k by shuffles; the batch maximum moves M (the sums so far rescaled when it does) while they fly. The chains'
/// sums are added in chain order at the end and chain 0 writes. Registers only: no shared memory, no barriers. Its
/// fixed per-row work is what a merge of many rows costs (H200, PAT tree at 32:4, ~6 partials per row: 365 instructions
/// per warp at 58 registers, 8 groups per SM, run v34; 618 before the indexing and reductions were trimmed); two heads
/// per warp to share it took 110 registers and ran slower (v31).
/// </para>
/// </summary>
internal static class MergeKernel
{
    /// <summary>(query, head) pairs per group: one per warp.</summary>
    public const int PairsPerGroup = 4;

    /// <summary>Threads per group.</summary>
    public const int GroupSize = 32 * PairsPerGroup;

    /// <summary>The launch for <paramref name="queries"/> queries of <paramref name="queryHeads"/> heads: a group per query and <see cref="PairsPerGroup"/> heads.</summary>
    public static KernelConfig Config(int queries, int queryHeads) =>
        new(new Index2D(queries, (queryHeads + PairsPerGroup - 1) / PairsPerGroup), new Index2D(32, PairsPerGroup));

    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/> and element type <typeparamref name="TElement"/>.</summary>
    internal static void Kernel<TDim, TElement>(AttentionParams p) where TDim : struct, IHeadDim where TElement : struct, IElement
    {
        int dim = default(TDim).Value;
        int query = Grid.IdxX;
        int head = Grid.IdxY * PairsPerGroup + Group.IdxY;
        if (head >= p.QueryHeads) return; // warp-uniform
        int begin = p.PartialOffsets[query];
        int end = p.PartialOffsets[query + 1];
        if (end - begin == 1) return; // finished by the partial kernel (warp-uniform)

        int lane = Group.IdxX;
        var layout = new MergeLayout(dim, lane);
        var source = new MergeSource(p.PartialOutput, p.PartialLse, layout, head, p.QueryHeads, dim, default(TElement).HalfPartials);
        var sums = default(MergeUnit);
        var loads = default(MergeLoads);
        float max = float.NegativeInfinity, sum = 0f;
        for (int batch = begin; batch < end; batch += 32)
        {
            int count = XMath.Min(32, end - batch);
            int steps = (count + layout.Chains - 1) / layout.Chains;
            int slot = lane < count ? p.PartialSlots[batch + lane] : 0;
            float lse = lane < count ? source.Lse(slot) : float.NegativeInfinity;
            // The first rows' loads fly with the LSEs'.
            loads.Load<TElement>(XMath.Min(steps, MergeLoads.Depth), 0, layout, count, slot, source);
            float batchMax = WarpReduce.Max(lse);
            if (batchMax > max)
            {
                // The first batch finds max = −∞ and scales zeros by 0; later ones rescale what the earlier batches summed.
                float correction = FastExp2.Exp2(max - batchMax);
                sum *= correction;
                sums.Scale(correction);
                max = batchMax;
            }
            float weight = lane < count ? XMath.Exp2(lse - max) : 0f;
            sum += weight;
            loads.Accumulate<TElement>(XMath.Min(steps, MergeLoads.Depth), 0, layout, count, weight, ref sums);
            for (int first = MergeLoads.Depth; first < steps; first += MergeLoads.Depth)
            {
                int depth = XMath.Min(steps - first, MergeLoads.Depth);
                loads.Load<TElement>(depth, first, layout, count, slot, source);
                loads.Accumulate<TElement>(depth, first, layout, count, weight, ref sums);
            }
        }
        var total = sums.OverChains(layout);
        sum = WarpReduce.Sum(sum);
        long outRow = (long)query * p.QueryHeads + head;
        if (layout.Chain == 0)
            total.Write<TElement>(p.Output.Cast<uint>(), outRow * (dim / 2) + layout.Unit * (MergeLayout.UnitDims / 2), 1f / sum);
        if (lane == 0 && p.Lse.Length > 0) p.Lse[outRow] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
