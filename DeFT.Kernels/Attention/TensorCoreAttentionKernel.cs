using DeFT.Core.Planning;
using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2a on tensor cores: the same contract as <see cref="PartialAttentionKernel"/> (tasks, interval masks,
/// log2-domain online softmax, direct or partial output), computed FlashAttention-2 style with
/// <c>mma.sync.m16n8k16</c> (fp16 or bf16 inputs by the element type, fp32 accumulation). Sizes come from the tile
/// shape through <see cref="TensorCoreLayout"/>; the numbers below are those of <see cref="TensorCoreShape{TDim}"/> at D = 128.
/// <para>
/// Grid: one group of 128 threads (4 warps) per (task, KV head), group index <c>task·Hkv + kvHead</c>; a task is up
/// to 64 rows of one work item. Warp w owns task rows <c>16w..16w+15</c> (one m16 tile); lane l (g = l/4, t = l%4)
/// holds rows <c>16w+g</c> and <c>16w+g+8</c>, and of each 8-column fragment (S: tokens, O: dims) the columns 2t,
/// 2t+1. All threads copy tiles; a warp without a valid row skips the arithmetic but joins every barrier.
/// </para>
/// <para>
/// Pipeline (two stages, one barrier per 32-token tile): the copies of tile i+1 (K and V rows by 16-byte
/// <c>cp.async</c>, their addresses from slots in shared memory, their masks by 8-byte <c>cp.async</c>, the KV slots of
/// tile i+2 by 4-byte <c>cp.async</c>; tokens past the item are zero-filled and masked) are issued right after the
/// barrier that publishes tile i, so they land while tile i is computed and no copy waits on a global load. Per tile and warp:
/// S = Q·Kᵀ (K B-fragments by <c>ldmatrix.x4</c>, two per load); the optional logit soft cap; the mask, skipped when
/// every token of the tile is visible to every row of the task (one <c>bar.red.and</c>, the barrier itself); online
/// softmax on the S fragments (row max over a quad with two xor-shuffles, exp2 in fp32 with the scale inside its FMA,
/// probabilities packed to 16 bits by <c>cvt.rn</c>, row sums by an mma of that P with ones so they match the P that
/// multiplies V, O rescaled only when a row's maximum jumps by more than 2^8); O += P·V with P's A fragments taken straight from the S
/// accumulators and V's B fragments by <c>ldmatrix.x4.trans</c> from the row-major V tile (no transpose by hand).
/// </para>
/// <para>
/// Registers per lane: the warp's <see cref="HeadFragments"/> (per 16 dims, Q's A fragment loaded once by
/// <c>ldmatrix</c> from Q rows staged in stage 1's space, and two O accumulators: 96 registers at D = 128), S (16 fp32),
/// row sums and maxima of two rows: the four-warp shape runs under launch bounds of 3 groups per SM at D = 128 (168
/// registers, with a few bytes of spills per thread that ptxas places in the tile loop: run v28's SASS;
/// <see cref="Device.LaunchBounds"/>). Shared memory: see <see cref="TensorCoreLayout"/> (35 712 B at D = 128,
/// 68 480 B at D = 256). Masked tiles also run <see cref="BranchIsolation"/>, so a non-finite V element reaches only
/// the rows that see its token.
/// </para>
/// </summary>
internal static class TensorCoreAttentionKernel
{
    /// <summary>How far (log2 units) a tile's row maximum may exceed the row's reference maximum before O is rescaled.</summary>
    private const float RescaleThreshold = 8f;

    /// <summary>
    /// The kernel, specialised for tile shape <typeparamref name="TShape"/>, element type <typeparamref name="TElement"/>
    /// and logit cap <typeparamref name="TCap"/> (whose <see cref="ILogitCap.Capped"/> must match <see cref="AttentionParams.SoftCapLog2"/> ≠ 0).
    /// </summary>
    internal static void Kernel<TShape, TElement, TCap>(AttentionParams p)
        where TShape : struct, ITensorCoreShape where TElement : struct, IElement where TCap : struct, ILogitCap
    {
        var element = default(TElement);
        var shape = default(TShape);
        int dim = shape.Value;
        int tileTokens = shape.TileTokens;
        int groupSize = TensorCoreLayout.GroupSize<TShape>();
        int rowsPerTask = TensorCoreLayout.RowsPerTask<TShape>();
        int rowWords = TensorCoreLayout.RowWords<TShape>();
        int tileWords = TensorCoreLayout.TileWords<TShape>();
        int poisonWord = TensorCoreLayout.PoisonWord<TShape>();
        var smem = SharedWindow.Dynamic();

        int tid = Group.IdxX;
        int warp = tid >> 5;
        int lane = tid & 31;
        int g = lane >> 2;
        int t = lane & 3;
        var task = TaskContext.Current(p, rowsPerTask);
        var item = task.Item;
        int firstPosition = task.Position(0);
        int lastPosition = task.Position(task.RowCount - 1);
        bool warpActive = warp * 16 < task.RowCount;
        int rowLow = warp * 16 + g;
        int rowHigh = rowLow + 8;
        int posLow = task.Position(rowLow);
        int posHigh = task.Position(rowHigh);
        int tiles = (item.TokenCount + tileTokens - 1) / tileTokens;

        // Prologue copies: the KV slots of tiles 0 and 1 and the Q rows (into stage 1's space); once they have landed,
        // tile 0, whose copies fly while the Q fragments are loaded into registers. Every tile's copies read their
        // slots from shared memory, so no copy waits on a global load.
        IssueSlots<TShape>(p, smem, task, 0, 0, tid);
        IssueSlots<TShape>(p, smem, task, 1, 1, tid);
        var copy = CopyLane.For<TShape>(p, task, tid);
        StageQ<TShape>(p, smem, task, copy);
        if (tid < tileTokens) smem.Words[poisonWord + tid] = 0u;
        CpAsync.WaitAll();
        Group.Barrier();
        IssueTile<TShape>(p, smem, task, copy, 0, 0, TensorCoreLayout.SlotWord<TShape>(0), tid);

        var head = default(HeadFragments);
        // This lane's ldmatrix rows: Q and V as (rows / tokens 8·((l/8)%2) + l%8, dims 8·(l/16)); K as
        // (tokens 8·(l/16) + l%8, dims 8·((l/8)%2)). Per call, a constant is added.
        int rowA = ((lane >> 3) & 1) * 8 + (lane & 7);
        int qLane = TensorCoreLayout.QWord<TShape>() + (warp * 16 + rowA) * rowWords + (lane >> 4) * 4;
        int kLane = ((lane >> 4) * 8 + (lane & 7)) * rowWords + ((lane >> 3) & 1) * 4;
        int vLane = tileWords + rowA * rowWords + (lane >> 4) * 4;
        if (warpActive) head.LoadQ(dim, smem, smem.Row(qLane));

        float maxLow = float.NegativeInfinity, maxHigh = float.NegativeInfinity;
        // Row sums as an mma accumulator: P·1 over each tile, so the sums are of exactly the fp16 P that multiplies V
        // (Σ p·v / Σ p stays a weighted mean of V even at the edge of the fp16 range); C0 = C1 = row g, C2 = C3 = row g+8.
        var rowSums = default(MmaAccumulator);
        var ones = new MmaB { B0 = element.OnePair, B1 = element.OnePair };
        // Soft-capped logits are transformed before the softmax, so its multiplier (folded into exp2's FMA) is then 1.
        bool capped = default(TCap).Capped;
        float softmaxScale = capped ? 1f : p.ScoreScale;
        bool poisonedLow = false, poisonedHigh = false;

        for (int tile = 0; tile < tiles; tile++)
        {
            int stage = TensorCoreLayout.StageWord<TShape>(tile & 1);
            CpAsync.WaitAll(); // this thread's copies of this tile (its token's mask among them) have landed
            // A thread's vote: its token is visible to every row of the task (threads past the tile vote yes; tokens
            // past the item have empty masks, so a partial last tile takes the masked path that drops them). The
            // barrier publishes every thread's copies and ends the previous tile's use of the other stage.
            bool visibleToAll = tid >= tileTokens
                || Covers(smem.Words.SubView(stage + 2 * tileWords, 2 * tileTokens).Cast<QueryRange>()[tid], firstPosition, lastPosition);
            bool unmasked = Group.BarrierAnd(visibleToAll);
            if (tile + 1 < tiles)
            {
                IssueTile<TShape>(p, smem, task, copy, tile + 1, TensorCoreLayout.StageWord<TShape>((tile + 1) & 1),
                    TensorCoreLayout.SlotWord<TShape>((tile + 1) & 1), tid);
                IssueSlots<TShape>(p, smem, task, tile + 2, tile & 1, tid);
            }

            bool poisoned = false;
            if (!unmasked)
            {
                bool found = BranchIsolation.SanitizeValues<TElement>(smem, stage + tileWords, poisonWord, tileTokens, rowWords,
                    TensorCoreLayout.ChunksPerRow<TShape>(), tile + 1, tid, groupSize);
                poisoned = Group.BarrierOr(found);
            }
            if (!warpActive) continue;

            var masks = smem.Words.SubView(stage + 2 * tileWords + 4 * t, 2 * tileTokens - 4 * t).Cast<QueryRange>();
            var scores = default(MmaAccumulators4);
            head.Score<TElement>(dim, ref scores, smem, smem.Row(stage + kLane), 16 * rowWords);
            if (capped) scores.SoftCap(p.ScoreScale, p.SoftCapLog2);
            if (!unmasked) MaskAll(ref scores, masks, posLow, posHigh);
            if (poisoned)
            {
                var tags = smem.Words.SubView(poisonWord + 2 * t, tileTokens - 2 * t);
                poisonedLow |= SeesTag(masks, tags, posLow, (uint)(tile + 1));
                poisonedHigh |= SeesTag(masks, tags, posHigh, (uint)(tile + 1));
            }

            // Online softmax of the two rows over the tile, in the log2 domain: the scale is applied inside exp2's
            // argument (one FMA per score) and to the maximum of the scores. A row's reference maximum moves only when
            // the tile's exceeds it by more than RescaleThreshold (conditional rescaling, as FlashAttention-4 does):
            // until then probabilities stay below 2^8, exact enough in the 16-bit P and fp32 sums, and the 2 + D/2
            // multiplies that rescale O and the sums run only on the few tiles where some row's maximum jumps.
            var tileMax = QuadMax(new Float2 { X = scores.MaxLow(), Y = scores.MaxHigh() });
            float tileLow = tileMax.X * softmaxScale;
            float tileHigh = tileMax.Y * softmaxScale;
            float newLow = tileLow > maxLow + RescaleThreshold ? tileLow : maxLow;
            float newHigh = tileHigh > maxHigh + RescaleThreshold ? tileHigh : maxHigh;
            if (newLow != maxLow || newHigh != maxHigh)
            {
                // A row whose maximum stays keeps factor 1 (its maximum may be -inf still: -inf - -inf is NaN).
                float correctionLow = newLow == maxLow ? 1f : FastExp2.Exp2(maxLow - newLow);
                float correctionHigh = newHigh == maxHigh ? 1f : FastExp2.Exp2(maxHigh - newHigh);
                rowSums.Scale(correctionLow, correctionHigh);
                head.Rescale(dim, correctionLow, correctionHigh);
                maxLow = newLow;
                maxHigh = newHigh;
            }
            float baseLow = maxLow == float.NegativeInfinity ? 0f : maxLow;
            float baseHigh = maxHigh == float.NegativeInfinity ? 0f : maxHigh;
            var pLow = default(MmaA);
            var pHigh = default(MmaA);
            Probabilities<TElement>(ref pLow, scores.T0, scores.T1, softmaxScale, baseLow, baseHigh);
            Probabilities<TElement>(ref pHigh, scores.T2, scores.T3, softmaxScale, baseLow, baseHigh);
            rowSums = element.Product(rowSums, pLow, ones);
            rowSums = element.Product(rowSums, pHigh, ones);

            // O += P·V: two k-steps of 16 tokens.
            var values = smem.Row(stage + vLane);
            head.AddValues<TElement>(dim, pLow, smem, values);
            head.AddValues<TElement>(dim, pHigh, smem, values.Plus(16 * rowWords));
        }

        // Each valid row that saw a token writes its result.
        if (!warpActive) return;
        if (posLow >= 0 && rowSums.C0 > 0f)
            WriteRow<TElement>(p, task, rowLow, posLow, maxLow, rowSums.C0, poisonedLow, head, false, t, dim);
        if (posHigh >= 0 && rowSums.C2 > 0f)
            WriteRow<TElement>(p, task, rowHigh, posHigh, maxHigh, rowSums.C2, poisonedHigh, head, true, t, dim);
    }

    // Issues this thread's copies of tile `tile` into the stage at word `stage`: K and V rows by 16-byte chunks (tokens
    // past the item zero-filled), their slots read from the slot buffer at word `slots` (copied a tile or more ahead),
    // and its token's mask.
    private static void IssueTile<TShape>(AttentionParams p, SharedWindow smem, in TaskContext task, in CopyLane lane, int tile,
        int stage, int slots, int tid) where TShape : struct, ITensorCoreShape
    {
        int tileTokens = default(TShape).TileTokens;
        int tileWords = TensorCoreLayout.TileWords<TShape>();
        int first = task.Item.TokenBegin + tile * tileTokens;
        int count = XMath.Min(tileTokens, task.Item.TokenEnd - first);
        default(CopyPasses).Issue<TShape>(TensorCoreLayout.CopyPasses<TShape>(), p, smem, lane, smem.Row(stage + lane.Word),
            smem.Row(slots + lane.FirstRow), count);
        if (tid < tileTokens)
        {
            bool valid = tid < count;
            CpAsync.Copy8(smem, stage + 2 * tileWords + 2 * tid, p.TokenVisibility.Cast<long>(), p.VisibilityAddress,
                valid ? first + tid : 0, valid);
        }
    }

    // Copies the KV slots of tile `tile` (if the item has it) into slot buffer `buffer`, one per thread of the first tile's worth.
    private static void IssueSlots<TShape>(AttentionParams p, SharedWindow smem, in TaskContext task, int tile, int buffer, int tid)
        where TShape : struct, ITensorCoreShape
    {
        int tileTokens = default(TShape).TileTokens;
        int token = task.Item.TokenBegin + tile * tileTokens + tid;
        if (tid < tileTokens && token < task.Item.TokenEnd)
            CpAsync.Copy4(smem, TensorCoreLayout.SlotWord<TShape>(buffer) + tid, p.TokenSlots, p.SlotsAddress, token, true);
    }

    // Whether a token's mask covers every ordered position of the task.
    private static bool Covers(QueryRange range, int firstPosition, int lastPosition) =>
        range.Begin <= firstPosition && range.End > lastPosition;

    // Copies the task's Q rows into stage 1's space (QPass: every pass's query id is loaded before the first copy waits).
    private static void StageQ<TShape>(AttentionParams p, SharedWindow smem, in TaskContext task, in CopyLane lane)
        where TShape : struct, ITensorCoreShape
    {
        if (lane.FirstRow >= TensorCoreLayout.RowsPerCopyPass<TShape>()) return; // past the last whole row of a pass
        var q = smem.Row(TensorCoreLayout.QWord<TShape>() + lane.Word);
        var passes = default(QPasses);
        passes.Load<TShape>(TensorCoreLayout.QPasses<TShape>(), p, task, lane.FirstRow, lane.ChunkInRow);
        passes.Issue<TShape>(TensorCoreLayout.QPasses<TShape>(), p, smem, q, lane.FirstRow);
    }

    // Sets the scores of tokens a row does not see to −∞ (a select: a masked NaN or ∞ score is dropped too). `masks`
    // is the lane's view from token 2t: fragment j covers tokens 8j + 2t and 8j + 2t + 1.
    private static void MaskAll(ref MmaAccumulators4 s, ArrayView<QueryRange> masks, int posLow, int posHigh)
    {
        Mask(ref s.T0, masks, 0, posLow, posHigh);
        Mask(ref s.T1, masks, 8, posLow, posHigh);
        Mask(ref s.T2, masks, 16, posLow, posHigh);
        Mask(ref s.T3, masks, 24, posLow, posHigh);
    }

    private static void Mask(ref MmaAccumulator s, ArrayView<QueryRange> masks, int token, int posLow, int posHigh)
    {
        var r0 = masks[token];
        var r1 = masks[token + 1];
        s.C0 = r0.Contains(posLow) ? s.C0 : float.NegativeInfinity;
        s.C1 = r1.Contains(posLow) ? s.C1 : float.NegativeInfinity;
        s.C2 = r0.Contains(posHigh) ? s.C2 : float.NegativeInfinity;
        s.C3 = r1.Contains(posHigh) ? s.C3 : float.NegativeInfinity;
    }

    // Whether the row at `position` sees one of this lane's tokens (8j + 2t, 8j + 2t + 1) tagged `tag`; the quad's
    // four lanes together cover the tile.
    private static bool SeesTag(ArrayView<QueryRange> masks, ArrayView<uint> tags, int position, uint tag)
    {
        bool seen = false;
        for (int token = 0; token < 32; token += 8)
        {
            seen |= tags[token] == tag && masks[token].Contains(position);
            seen |= tags[token + 1] == tag && masks[token + 1].Contains(position);
        }
        return QuadAny(seen);
    }

    // Probabilities 2^(s·scale − base) of two score fragments (16 tokens), rounded to fp16 into the A fragment of P.
    private static void Probabilities<TElement>(ref MmaA pk, in MmaAccumulator left, in MmaAccumulator right, float scale,
        float baseLow, float baseHigh) where TElement : struct, IElement
    {
        var e = default(TElement);
        pk.A0 = e.Pack(FastExp2.Exp2(left.C0 * scale - baseLow), FastExp2.Exp2(left.C1 * scale - baseLow));
        pk.A1 = e.Pack(FastExp2.Exp2(left.C2 * scale - baseHigh), FastExp2.Exp2(left.C3 * scale - baseHigh));
        pk.A2 = e.Pack(FastExp2.Exp2(right.C0 * scale - baseLow), FastExp2.Exp2(right.C1 * scale - baseLow));
        pk.A3 = e.Pack(FastExp2.Exp2(right.C2 * scale - baseHigh), FastExp2.Exp2(right.C3 * scale - baseHigh));
    }

    private static Float2 QuadMax(Float2 v)
    {
        var o = Warp.ShuffleXor(v, 1);
        v.X = XMath.Max(v.X, o.X);
        v.Y = XMath.Max(v.Y, o.Y);
        o = Warp.ShuffleXor(v, 2);
        v.X = XMath.Max(v.X, o.X);
        v.Y = XMath.Max(v.Y, o.Y);
        return v;
    }

    private static bool QuadAny(bool value)
    {
        int v = value ? 1 : 0;
        v |= Warp.ShuffleXor(v, 1);
        v |= Warp.ShuffleXor(v, 2);
        return v != 0;
    }

    // Writes one row; `upper` picks the lane's row-g+8 elements (C2, C3) over row g (C0, C1). A poisoned row (it saw a
    // non-finite V that BranchIsolation zeroed) is written as NaN.
    private static void WriteRow<TElement>(AttentionParams p, in TaskContext task, int row, int position, float max, float sum,
        bool poisoned, in HeadFragments head, bool upper, int t, int dim) where TElement : struct, IElement
    {
        var destination = RowDestination.For(p, task, row, position, dim);
        float inverse = poisoned ? float.NaN : 1f / sum;
        if (t == 0) destination.WriteLse(p, poisoned ? float.NaN : max, sum);
        head.Write<TElement>(dim, destination, t, upper, inverse);
    }
}
