using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT's global reduction done by the tensor-core kernels themselves: a (query, query head) row is merged by the task
/// whose partial completes it, so no merge kernel runs after them (a separate launch, its ramp and its chain of
/// dependent loads were about a third of a small call: 9 µs of 27 on C_reason_sorting at 32:4, ncu v23).
/// <para>
/// A task that has written a partial row fences, then counts the row in (<see cref="AttentionParams.ArrivalCounts"/>,
/// one atomic per row by the quad's lane t = 0); the quad whose count reaches the query's number of partials merges the
/// row and sets the count back to 0. The merge reads every partial of the row, its own included, from memory, in the
/// order of the query's partial list, with the LSE rule <c>O = Σ 2^(lse_i − M)·o_i / Σ 2^(lse_i − M)</c> taken online
/// (M moves when a partial's LSE exceeds it): the result is the same whichever task arrives last, so runs stay
/// bit-reproducible. Reads go past L1 (<see cref="L2Load"/>): other groups wrote them during this launch. Each step
/// prefetches the next partial's slot, so a step waits for one round trip (its LSE and row together). Lane t of a quad
/// holds the row's dims 16j + 2t, +1 and 16j + 8 + 2t, +1 in the O fragments it used for its own partial, which the merge
/// overwrites.
/// </para>
/// </summary>
internal static class FusedMerge
{
    /// <summary>
    /// Counts a written partial row in (<paramref name="partial"/>; quad-uniform) and returns, to every lane of the quad,
    /// whether it was the row's last. Call from every lane of the warp, after the writes and a device-level fence.
    /// </summary>
    public static bool Arrive(AttentionParams p, in RowDestination row, bool partial, int t, int lane)
    {
        int arrived = 0;
        if (partial && t == 0) arrived = Atomic.Add(ref p.ArrivalCounts[(long)row.Query * p.QueryHeads + row.Head], 1) + 1;
        arrived = Warp.Shuffle(arrived, lane & ~3);
        return partial && arrived == row.PartialEnd - row.PartialBegin;
    }

    /// <summary>Merges the row's partials into its final output and LSE (its quad's lanes together; <paramref name="upper"/>: row g+8).</summary>
    public static void Merge<TElement>(AttentionParams p, ref HeadFragments head, in RowDestination row, bool upper, int t, int dim)
        where TElement : struct, IElement
    {
        MemoryFence.DeviceLevel(); // the other tasks' partials, published by their fences before they counted in
        float max = float.NegativeInfinity, sum = 0f;
        int next = p.PartialSlots[row.PartialBegin];
        for (int i = row.PartialBegin; i < row.PartialEnd; i++)
        {
            int slot = next;
            if (i + 1 < row.PartialEnd) next = p.PartialSlots[i + 1];
            long at = (long)slot * p.QueryHeads + row.Head;
            float lse = L2Load.Single(p.PartialLse, at, p.PartialLseAddress + 4 * at);
            head.LoadPartial<TElement>(dim, p, at * dim / 2, t);
            // The first partial starts the row (scale 0); a larger LSE moves M and rescales what came before.
            float newMax = lse > max ? lse : max;
            float scale = i == row.PartialBegin ? 0f : newMax == max ? 1f : FastExp2.Exp2(max - newMax);
            float weight = FastExp2.Exp2(lse - newMax);
            sum = sum * scale + weight;
            head.MergePartial(dim, upper, scale, weight);
            max = newMax;
        }
        var final = row.Final(p, dim);
        if (t == 0) final.WriteLse(p, max, sum);
        head.Write<TElement>(dim, p, final, t, upper, 1f / sum);
        if (t == 0) p.ArrivalCounts[(long)row.Query * p.QueryHeads + row.Head] = 0;
    }
}
