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
/// Grid: one warp per (query, query head), <see cref="PairsPerGroup"/> per group. A query of a long path merges tens to
/// hundreds of partials, and a loop that reads each partial's slot, then its LSE, then its row waits on three dependent
/// global loads per step. So the warp takes the partials in batches of 32: lane k reads the slot and LSE of the batch's
/// k-th partial (one load each for the whole batch), the batch maximum moves M (the sums so far rescaled when it
/// does), and lane k's weight 2^(lse − M) follows; then four chains run side by side over the batch's rows, each step
/// one row load, its slot and weight taken from lane k by a shuffle. Lanes 8c..8c+7 form chain c and take partials c,
/// c + 4, ...; lane s of a chain owns the dim pairs <c>16j + 2s</c> (j &lt; D/16). The chains' sums are added by
/// xor-shuffles at the end and chain 0 writes. No shared memory, no barriers.
/// </para>
/// </summary>
internal static class MergeKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>(query, head) pairs per group: one per warp.</summary>
    public const int PairsPerGroup = GroupSize / 32;

    private const int Chains = 4;
    private const int ChainLanes = 32 / Chains;

    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/> and element type <typeparamref name="TElement"/>.</summary>
    internal static void Kernel<TDim, TElement>(AttentionParams p) where TDim : struct, IHeadDim where TElement : struct, IElement
    {
        int dim = default(TDim).Value;
        int pair = Grid.IdxX * PairsPerGroup + Group.IdxX / 32;
        int lane = Group.IdxX % 32;
        if (pair >= p.QueryOrder.Length * p.QueryHeads) return;
        int query = pair / p.QueryHeads;
        int head = pair - query * p.QueryHeads;
        int begin = p.PartialOffsets[query];
        int end = p.PartialOffsets[query + 1];
        if (end - begin == 1) return; // finished by the partial kernel (warp-uniform)

        int chain = lane / ChainLanes;
        int sublane = lane % ChainLanes;
        var row = default(MergeRow);
        float max = float.NegativeInfinity, sum = 0f;
        for (int batch = begin; batch < end; batch += 32)
        {
            int count = XMath.Min(32, end - batch);
            int partial = lane < count ? p.PartialSlots[batch + lane] : 0;
            float lse = lane < count ? p.PartialLse[(long)partial * p.QueryHeads + head] : float.NegativeInfinity;
            float batchMax = WarpReduce.Max(lse);
            if (batchMax > max)
            {
                // The first batch finds max = −∞ and scales zeros by 0; later ones rescale what the earlier batches summed.
                float correction = FastExp2.Exp2(max - batchMax);
                sum *= correction;
                row.Scale(dim, correction);
                max = batchMax;
            }
            float weight = lane < count ? XMath.Exp2(lse - max) : 0f;
            sum += weight;
            // The shuffles run on every lane (a chain past the batch's end takes lane k ≥ count, which holds no partial,
            // and skips the row: its weight 0 times another query's poisoned NaN row would still be NaN).
            for (int step = 0; step < count; step += Chains)
            {
                int k = step + chain;
                int from = Warp.Shuffle(partial, k);
                float w = Warp.Shuffle(weight, k);
                if (k < count) row.Add<TElement>(dim, p.PartialOutput, ((long)from * p.QueryHeads + head) * dim / 2, sublane, dim, w);
            }
        }
        row.Combine(dim);
        sum = WarpReduce.Sum(sum);
        long outRow = (long)query * p.QueryHeads + head;
        if (chain == 0) row.Write<TElement>(dim, p.Output.Cast<uint>(), outRow * dim / 2, sublane, dim, 1f / sum);
        if (lane == 0 && p.Lse.Length > 0) p.Lse[outRow] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
