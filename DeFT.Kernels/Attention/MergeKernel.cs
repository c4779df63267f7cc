using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2b, the global reduction: each (query, query head) merges the partials on its CSR list with
/// the LSE rule <c>O = Σ 2^(lse_i − M)·o_i / Σ 2^(lse_i − M)</c>, M = max lse_i starting from −∞. A fixed
/// order and no atomics make it deterministic. Queries with a single partial were finished by the partial kernel
/// and are skipped.
/// <para>Grid: one warp per (query, query head), <see cref="GroupSize"/> threads per group; lane l owns the dim pairs
/// <c>2l + 64i</c>, <c>2l + 64i + 1</c> (i &lt; D/64, rounded up: D = 96 leaves lanes 16..31 one pair short), one 64-dim
/// pass over the partials each. No shared memory.</para>
/// </summary>
internal static class MergeKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>(query, head) pairs per group.</summary>
    public const int PairsPerGroup = GroupSize / 32;

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
        if (end - begin == 1) return;

        float max = float.NegativeInfinity;
        for (int k = begin; k < end; k++) max = XMath.Max(max, p.PartialLse[(long)p.PartialSlots[k] * p.QueryHeads + head]);
        var partials = p.PartialOutput.Cast<Float2>();
        var output = p.Output.Cast<uint>();
        long row = (long)query * p.QueryHeads + head;
        float sum = 0f;
        for (int d = 2 * lane; d < dim; d += 64)
        {
            float x = 0f, y = 0f;
            sum = 0f;
            for (int k = begin; k < end; k++)
            {
                long slot = p.PartialSlots[k];
                float weight = XMath.Exp2(p.PartialLse[slot * p.QueryHeads + head] - max);
                sum += weight;
                var o = partials[((slot * p.QueryHeads + head) * dim + d) / 2];
                x += weight * o.X;
                y += weight * o.Y;
            }
            float inverse = 1f / sum;
            output[(row * dim + d) / 2] = default(TElement).Pack(x * inverse, y * inverse);
        }
        if (lane == 0 && p.Lse.Length > 0) p.Lse[row] = (max + XMath.Log2(sum)) * Log2Domain.Ln2;
    }
}
