using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2b, the global reduction: each (query, query head) merges the partials on its CSR list with
/// the LSE rule <c>O = Σ 2^(lse_i − M)·o_i / Σ 2^(lse_i − M)</c>, M = max lse_i starting from −∞. A fixed
/// order and no atomics make it deterministic. Queries with a single partial were finished by
/// <see cref="PartialAttentionKernel"/> and are skipped.
/// <para>Grid: one warp per (query, query head), <see cref="GroupSize"/> threads per group; lane l owns
/// dims <c>[l·D/32, (l+1)·D/32)</c>. No shared memory.</para>
/// </summary>
internal static class MergeKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>(query, head) pairs per group.</summary>
    public const int PairsPerGroup = GroupSize / 32;


    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/>.</summary>
    public static void Kernel<TDim>(AttentionParams p) where TDim : struct, IHeadDim
    {
        int dim = default(TDim).Value;
        int dimsPerLane = dim / 32;
        int pair = Grid.IdxX * PairsPerGroup + Group.IdxX / 32;
        int lane = Group.IdxX % 32;
        if (pair >= p.QueryOrder.Length * p.QueryHeads) return;
        int query = pair / p.QueryHeads;
        int head = pair - query * p.QueryHeads;
        int begin = p.PartialOffsets[query];
        int end = p.PartialOffsets[query + 1];
        if (end - begin == 1) return;

        float max = float.NegativeInfinity;
        for (int k = begin; k < end; k++) max = XMath.Max(max, p.PartialLse[(long)p.PartialSlots[k] * p.QueryHeads + head]);
        // This lane's dims (D/32 of them: 2 or 4) in scalars, so they stay in registers.
        float o0 = 0f, o1 = 0f, o2 = 0f, o3 = 0f, sum = 0f;
        for (int k = begin; k < end; k++)
        {
            long slot = p.PartialSlots[k];
            float weight = XMath.Exp2(p.PartialLse[slot * p.QueryHeads + head] - max);
            sum += weight;
            long at = (slot * p.QueryHeads + head) * dim + lane * dimsPerLane;
            o0 += weight * p.PartialOutput[at];
            o1 += weight * p.PartialOutput[at + 1];
            if (dimsPerLane == 4)
            {
                o2 += weight * p.PartialOutput[at + 2];
                o3 += weight * p.PartialOutput[at + 3];
            }
        }
        long outAt = ((long)query * p.QueryHeads + head) * dim + lane * dimsPerLane;
        float inverse = 1f / sum;
        p.Output[outAt] = (Half)(o0 * inverse);
        p.Output[outAt + 1] = (Half)(o1 * inverse);
        if (dimsPerLane == 4)
        {
            p.Output[outAt + 2] = (Half)(o2 * inverse);
            p.Output[outAt + 3] = (Half)(o3 * inverse);
        }
        if (lane == 0 && p.Lse.Length > 0) p.Lse[(long)query * p.QueryHeads + head] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
