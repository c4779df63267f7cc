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
/// hundreds of partials, and a loop over them waits at each step on dependent global loads (slot, then its LSE and
/// row): so the warp runs four chains side by side. Lanes 8c..8c+7 form chain c and take partials c, c + 4, ...; lane
/// s of a chain owns the dim pairs <c>16j + 2s</c> (j &lt; D/16). M is found first by the whole warp (one LSE per lane);
/// the chains' sums are added by xor-shuffles at the end and chain 0 writes. No shared memory, no barriers.
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

        float max = float.NegativeInfinity;
        for (int k = begin + lane; k < end; k += 32) max = XMath.Max(max, p.PartialLse[(long)p.PartialSlots[k] * p.QueryHeads + head]);
        max = WarpReduce.Max(max);

        int chain = lane / ChainLanes;
        int sublane = lane % ChainLanes;
        var partials = p.PartialOutput.Cast<Float2>();
        var row = default(MergeRow);
        float sum = 0f;
        for (int k = begin + chain; k < end; k += Chains)
        {
            long slot = (long)p.PartialSlots[k] * p.QueryHeads + head;
            float weight = XMath.Exp2(p.PartialLse[slot] - max);
            sum += weight;
            row.Add(dim, partials, slot * dim / 2, sublane, dim, weight);
        }
        row.Combine(dim);
        sum += Warp.ShuffleXor(sum, 8);
        sum += Warp.ShuffleXor(sum, 16);
        long outRow = (long)query * p.QueryHeads + head;
        if (chain == 0) row.Write<TElement>(dim, p.Output.Cast<uint>(), outRow * dim / 2, sublane, dim, 1f / sum);
        if (lane == 0 && p.Lse.Length > 0) p.Lse[outRow] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
