using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2a on tensor cores: the same contract as <see cref="PartialAttentionKernel"/> (tasks, interval masks,
/// log2-domain online softmax, direct or partial output), computed FlashAttention-2 style with
/// <c>mma.sync.m16n8k16</c> (fp16 inputs, fp32 accumulation). Sizes come from the tile shape
/// of <see cref="Kernel{TShape}"/> through <see cref="TensorCoreLayout"/>; the numbers below are those of
/// <see cref="TensorCoreShape{TDim}"/> at D = 128.
/// <para>
/// Grid: one group of 128 threads (4 warps) per (task, KV head), group index <c>task·Hkv + kvHead</c>; a task is up
/// to 64 rows of one work item. Warp w owns task rows <c>16w..16w+15</c> (one m16 tile); lane l (g = l/4, t = l%4)
/// holds rows <c>16w+g</c> and <c>16w+g+8</c>, and of each 8-column fragment (S: tokens, O: dims) the columns 2t,
/// 2t+1. All threads copy tiles; a warp without a valid row skips the arithmetic but joins every barrier.
/// </para>
/// <para>
/// Pipeline (two stages, one barrier per 32-token tile): the copies of tile i+1 (K and V rows by 16-byte
/// <c>cp.async</c>, their masks by 8-byte <c>cp.async</c>, the KV slots of tile i+2 by 4-byte <c>cp.async</c>; tokens
/// past the item are zero-filled and masked) are issued right after the barrier that publishes tile i, so they land
/// while tile i is computed and no copy waits on a global load. Per tile and warp:
/// S = Q·Kᵀ (K B-fragments by <c>ldmatrix.x4</c>, two per load); the mask, skipped when every token of the tile is
/// visible to every row of the task (one <c>bar.red.and</c>, the barrier itself); online softmax on the S fragments
/// (row max over a quad with two xor-shuffles, exp2 in fp32 with the scale inside its FMA, probabilities packed to fp16
/// by <c>cvt.rn.f16x2</c>, row sums by an mma of that fp16 P with ones so they match the P that multiplies V, O
/// rescaled only when a row's maximum moved); O += P·V with P's A fragments taken straight from the S accumulators
/// and V's B fragments by <c>ldmatrix.x4.trans</c> from the row-major V tile (no transpose by hand).
/// </para>
/// <para>
/// Registers per lane: Q A-fragments for the whole task (32 at D = 128, loaded once by <c>ldmatrix</c> from Q rows
/// staged in stage 1's space), O (64 fp32), S (16 fp32), row sums and maxima of two rows: 158 registers under the
/// shape's launch bounds (3 groups per SM, no spills; <see cref="Device.LaunchBounds"/>). Shared memory: see
/// <see cref="TensorCoreLayout"/> (35 456 B at D = 128). Masked tiles also run <see cref="BranchIsolation"/>, so a
/// non-finite V element reaches only the rows that see its token.
/// </para>
/// </summary>
internal static class TensorCoreAttentionKernel
{
    // Two fp16 ones: the B fragment that turns an mma into row sums of P.
    private const uint OnePair = 0x3C003C00u;

    /// <summary>The kernel, specialised for tile shape <typeparamref name="TShape"/>.</summary>
    public static void Kernel<TShape>(AttentionParams p) where TShape : struct, ITensorCoreShape
    {
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
        int warp = tid / 32;
        int lane = tid % 32;
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

        // Prologue copies: the Q rows (into stage 1's space), tile 0 (its slots read from global memory) and the
        // slots of tile 1; then the Q fragments into registers.
        StageQ<TShape>(p, smem, task, tid);
        IssueTile<TShape>(p, smem, task, 0, 0, -1, tid);
        IssueSlots<TShape>(p, smem, task, 1, 1, tid);
        if (tid < tileTokens) smem.Words[poisonWord + tid] = 0u;
        CpAsync.WaitAll();
        Group.Barrier();

        var q = default(MmaFragmentsA8);
        // This lane's ldmatrix rows: Q and V as (rows / tokens 8·((l/8)%2) + l%8, dims 8·(l/16)); K as
        // (tokens 8·(l/16) + l%8, dims 8·((l/8)%2)). Per call, a constant is added.
        int rowA = ((lane >> 3) & 1) * 8 + (lane & 7);
        int qLane = TensorCoreLayout.QWord<TShape>() + (warp * 16 + rowA) * rowWords + (lane >> 4) * 4;
        int kLane = ((lane >> 4) * 8 + (lane & 7)) * rowWords + ((lane >> 3) & 1) * 4;
        int vLane = tileWords + rowA * rowWords + (lane >> 4) * 4;
        if (warpActive) LoadQ(ref q, smem, qLane, dim);

        var oLow = default(MmaAccumulators8);  // output dims 0..63
        var oHigh = default(MmaAccumulators8); // output dims 64..127 (D = 128)
        float maxLow = float.NegativeInfinity, maxHigh = float.NegativeInfinity;
        // Row sums as an mma accumulator: P·1 over each tile, so the sums are of exactly the fp16 P that multiplies V
        // (Σ p·v / Σ p stays a weighted mean of V even at the edge of the fp16 range); C0 = C1 = row g, C2 = C3 = row g+8.
        var rowSums = default(MmaAccumulator);
        var ones = new MmaB { B0 = OnePair, B1 = OnePair };
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
                IssueTile<TShape>(p, smem, task, tile + 1, TensorCoreLayout.StageWord<TShape>((tile + 1) & 1),
                    TensorCoreLayout.SlotWord<TShape>((tile + 1) & 1), tid);
                IssueSlots<TShape>(p, smem, task, tile + 2, tile & 1, tid);
            }

            bool poisoned = false;
            if (!unmasked)
            {
                bool found = BranchIsolation.SanitizeValues(smem, stage + tileWords, poisonWord, tileTokens, rowWords,
                    TensorCoreLayout.ChunksPerRow<TShape>(), tile + 1, tid, groupSize);
                poisoned = Group.BarrierOr(found);
            }
            if (!warpActive) continue;

            var masks = smem.Words.SubView(stage + 2 * tileWords + 4 * t, 2 * tileTokens - 4 * t).Cast<QueryRange>();
            var scores = default(MmaAccumulators4);
            Scores(ref scores, q, smem, stage + kLane, rowWords, dim);
            if (!unmasked) MaskAll(ref scores, masks, posLow, posHigh);
            if (poisoned)
            {
                var tags = smem.Words.SubView(poisonWord + 2 * t, tileTokens - 2 * t);
                poisonedLow |= SeesTag(masks, tags, posLow, (uint)(tile + 1));
                poisonedHigh |= SeesTag(masks, tags, posHigh, (uint)(tile + 1));
            }

            // Online softmax of the two rows over the tile, in the log2 domain: the scale is applied inside exp2's
            // argument (one FMA per score) and to the maximum of the raw scores.
            var tileMax = QuadMax(new Float2 { X = scores.MaxLow(), Y = scores.MaxHigh() });
            float newLow = XMath.Max(maxLow, tileMax.X * p.ScaleLog2);
            float newHigh = XMath.Max(maxHigh, tileMax.Y * p.ScaleLog2);
            float baseLow = newLow == float.NegativeInfinity ? 0f : newLow;
            float baseHigh = newHigh == float.NegativeInfinity ? 0f : newHigh;
            float correctionLow = XMath.Exp2(maxLow - baseLow);
            float correctionHigh = XMath.Exp2(maxHigh - baseHigh);
            maxLow = newLow;
            maxHigh = newHigh;
            var pLow = default(MmaA);
            var pHigh = default(MmaA);
            Probabilities(ref pLow, scores.T0, scores.T1, p.ScaleLog2, baseLow, baseHigh);
            Probabilities(ref pHigh, scores.T2, scores.T3, p.ScaleLog2, baseLow, baseHigh);
            if (correctionLow != 1f || correctionHigh != 1f)
            {
                // Once a long node's maximum has settled, most tiles skip these 2 + D/2 multiplies.
                rowSums.Scale(correctionLow, correctionHigh);
                oLow.Scale(correctionLow, correctionHigh);
                if (dim > 64) oHigh.Scale(correctionLow, correctionHigh);
            }
            Mma.MultiplyAdd(ref rowSums, pLow, ones);
            Mma.MultiplyAdd(ref rowSums, pHigh, ones);

            // O += P·V: two k-steps of 16 tokens.
            Values(ref oLow, ref oHigh, pLow, smem, stage + vLane, dim);
            Values(ref oLow, ref oHigh, pHigh, smem, stage + vLane + 16 * rowWords, dim);
        }

        // Each valid row that saw a token writes its result.
        if (!warpActive) return;
        if (posLow >= 0 && rowSums.C0 > 0f)
            WriteRow(p, task, rowLow, posLow, maxLow, rowSums.C0, poisonedLow, ref oLow, ref oHigh, false, t, dim);
        if (posHigh >= 0 && rowSums.C2 > 0f)
            WriteRow(p, task, rowHigh, posHigh, maxHigh, rowSums.C2, poisonedHigh, ref oLow, ref oHigh, true, t, dim);
    }

    // Issues this thread's copies of tile `tile` into the stage at word `stage`: K and V rows (this thread's 16-byte
    // chunk of every (groupSize / chunksPerRow)-th token; tokens past the item zero-filled) and its token's mask. The
    // slots come from the slot buffer at word `slots` (copied a tile ahead), or from global memory when it is -1.
    private static void IssueTile<TShape>(AttentionParams p, SharedWindow smem, in TaskContext task, int tile, int stage, int slots,
        int tid) where TShape : struct, ITensorCoreShape
    {
        var shape = default(TShape);
        int tileTokens = shape.TileTokens;
        int rowWords = TensorCoreLayout.RowWords<TShape>();
        int tileWords = TensorCoreLayout.TileWords<TShape>();
        int chunksPerRow = TensorCoreLayout.ChunksPerRow<TShape>();
        int tokenStep = TensorCoreLayout.GroupSize<TShape>() / chunksPerRow;
        int chunk = tid % chunksPerRow;
        var k16 = p.K.Cast<Vec16>();
        var v16 = p.V.Cast<Vec16>();
        int first = task.Item.TokenBegin + tile * tileTokens;
        int count = XMath.Min(tileTokens, task.Item.TokenEnd - first);
        for (int j = tid / chunksPerRow; j < tileTokens; j += tokenStep)
        {
            bool valid = j < count;
            int slot = slots >= 0 ? (int)smem.Words[slots + j] : valid ? p.TokenSlots[first + j] : 0;
            long at = ((long)slot * p.KvHeads + task.KvHead) * chunksPerRow + chunk;
            int word = stage + j * rowWords + 4 * chunk;
            CpAsync.Copy16(smem, word, k16, p.KAddress, at, valid);
            CpAsync.Copy16(smem, word + tileWords, v16, p.VAddress, at, valid);
        }
        if (tid < tileTokens)
            CpAsync.Copy8(smem, stage + 2 * tileWords + 2 * tid, p.TokenVisibility.Cast<long>(), p.VisibilityAddress, first + tid, tid < count);
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

    // Copies the task's Q rows into stage 1's space, row-major with the K/V row stride (16-byte chunks; rows past the
    // task zero-filled).
    private static void StageQ<TShape>(AttentionParams p, SharedWindow smem, in TaskContext task, int tid)
        where TShape : struct, ITensorCoreShape
    {
        int dim = default(TShape).Value;
        int rowWords = TensorCoreLayout.RowWords<TShape>();
        int chunksPerRow = TensorCoreLayout.ChunksPerRow<TShape>();
        int qWord = TensorCoreLayout.QWord<TShape>();
        int chunk = tid % chunksPerRow;
        var q16 = p.Q.Cast<Vec16>();
        for (int r = tid / chunksPerRow; r < TensorCoreLayout.RowsPerTask<TShape>(); r += TensorCoreLayout.GroupSize<TShape>() / chunksPerRow)
        {
            bool valid = r < task.RowCount;
            long at = valid ? task.QOffset(p, r, dim) / 8 + chunk : 0L;
            CpAsync.Copy16(smem, qWord + r * rowWords + 4 * chunk, q16, p.QAddress, at, valid);
        }
    }

    // The warp's Q A-fragments, one ldmatrix.x4 per 16 dims.
    private static void LoadQ(ref MmaFragmentsA8 q, SharedWindow smem, int lane, int dim)
    {
        q.S0 = AFragment(LdMatrix.X4(smem, lane));
        q.S1 = AFragment(LdMatrix.X4(smem, lane + 8));
        q.S2 = AFragment(LdMatrix.X4(smem, lane + 16));
        q.S3 = AFragment(LdMatrix.X4(smem, lane + 24));
        if (dim > 64)
        {
            q.S4 = AFragment(LdMatrix.X4(smem, lane + 32));
            q.S5 = AFragment(LdMatrix.X4(smem, lane + 40));
            q.S6 = AFragment(LdMatrix.X4(smem, lane + 48));
            q.S7 = AFragment(LdMatrix.X4(smem, lane + 56));
        }
    }

    private static MmaA AFragment(Registers4 r) => new() { A0 = r.R0, A1 = r.R1, A2 = r.R2, A3 = r.R3 };

    // S tile (32 tokens) of the warp's 16 rows: fragment j = tokens 8j..8j+7; `k` is this lane's K row in the stage.
    private static void Scores(ref MmaAccumulators4 s, in MmaFragmentsA8 q, SharedWindow smem, int k,
        int rowWords, int dim)
    {
        int half = 16 * rowWords; // tokens 16..31
        ScoreStep(ref s, q.S0, smem, k, half);
        ScoreStep(ref s, q.S1, smem, k + 8, half);
        ScoreStep(ref s, q.S2, smem, k + 16, half);
        ScoreStep(ref s, q.S3, smem, k + 24, half);
        if (dim > 64)
        {
            ScoreStep(ref s, q.S4, smem, k + 32, half);
            ScoreStep(ref s, q.S5, smem, k + 40, half);
            ScoreStep(ref s, q.S6, smem, k + 48, half);
            ScoreStep(ref s, q.S7, smem, k + 56, half);
        }
    }

    // One k-step (16 dims) of the four score fragments: two ldmatrix.x4, each the B fragments of 16 tokens.
    private static void ScoreStep(ref MmaAccumulators4 s, in MmaA a, SharedWindow smem, int k, int half)
    {
        var first = LdMatrix.X4(smem, k);
        Mma.MultiplyAdd(ref s.T0, a, new MmaB { B0 = first.R0, B1 = first.R1 });
        Mma.MultiplyAdd(ref s.T1, a, new MmaB { B0 = first.R2, B1 = first.R3 });
        var second = LdMatrix.X4(smem, k + half);
        Mma.MultiplyAdd(ref s.T2, a, new MmaB { B0 = second.R0, B1 = second.R1 });
        Mma.MultiplyAdd(ref s.T3, a, new MmaB { B0 = second.R2, B1 = second.R3 });
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
    private static void Probabilities(ref MmaA pk, in MmaAccumulator left, in MmaAccumulator right, float scale, float baseLow,
        float baseHigh)
    {
        pk.A0 = Mma.Pack(XMath.Exp2(left.C0 * scale - baseLow), XMath.Exp2(left.C1 * scale - baseLow));
        pk.A1 = Mma.Pack(XMath.Exp2(left.C2 * scale - baseHigh), XMath.Exp2(left.C3 * scale - baseHigh));
        pk.A2 = Mma.Pack(XMath.Exp2(right.C0 * scale - baseLow), XMath.Exp2(right.C1 * scale - baseLow));
        pk.A3 = Mma.Pack(XMath.Exp2(right.C2 * scale - baseHigh), XMath.Exp2(right.C3 * scale - baseHigh));
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

    // O += P·V for one k-step of 16 tokens; `v` is this lane's V row of the k-step. Each ldmatrix.x4.trans gives the
    // B fragments of 16 dims: output fragments 2j, 2j+1 (dims 16j..16j+15).
    private static void Values(ref MmaAccumulators8 low, ref MmaAccumulators8 high, in MmaA pk,
        SharedWindow smem, int v, int dim)
    {
        ValueStep(ref low.T0, ref low.T1, pk, smem, v);
        ValueStep(ref low.T2, ref low.T3, pk, smem, v + 8);
        ValueStep(ref low.T4, ref low.T5, pk, smem, v + 16);
        ValueStep(ref low.T6, ref low.T7, pk, smem, v + 24);
        if (dim > 64)
        {
            ValueStep(ref high.T0, ref high.T1, pk, smem, v + 32);
            ValueStep(ref high.T2, ref high.T3, pk, smem, v + 40);
            ValueStep(ref high.T4, ref high.T5, pk, smem, v + 48);
            ValueStep(ref high.T6, ref high.T7, pk, smem, v + 56);
        }
    }

    private static void ValueStep(ref MmaAccumulator left, ref MmaAccumulator right, in MmaA pk,
        SharedWindow smem, int v)
    {
        var b = LdMatrix.X4Transposed(smem, v);
        Mma.MultiplyAdd(ref left, pk, new MmaB { B0 = b.R0, B1 = b.R1 });
        Mma.MultiplyAdd(ref right, pk, new MmaB { B0 = b.R2, B1 = b.R3 });
    }

    // Writes one row; `upper` picks the lane's row-g+8 elements (C2, C3) over row g (C0, C1). A poisoned row (it saw a
    // non-finite V that BranchIsolation zeroed) is written as NaN.
    private static void WriteRow(AttentionParams p, in TaskContext task, int row, int position, float max, float sum,
        bool poisoned, ref MmaAccumulators8 low, ref MmaAccumulators8 high, bool upper, int t, int dim)
    {
        var destination = RowDestination.For(p, task, row, position, dim);
        float inverse = poisoned ? float.NaN : 1f / sum;
        if (t == 0) destination.WriteLse(p, poisoned ? float.NaN : max, sum);
        // Fragment j of a block holds dims 8j + 2t, 8j + 2t + 1 of the block's 64.
        PutBlock(p, destination, 2 * t, low, upper, inverse);
        if (dim > 64) PutBlock(p, destination, 64 + 2 * t, high, upper, inverse);
    }

    private static void PutBlock(AttentionParams p, in RowDestination destination, int d, in MmaAccumulators8 o, bool upper, float inverse)
    {
        Put(p, destination, d, o.T0, upper, inverse);
        Put(p, destination, d + 8, o.T1, upper, inverse);
        Put(p, destination, d + 16, o.T2, upper, inverse);
        Put(p, destination, d + 24, o.T3, upper, inverse);
        Put(p, destination, d + 32, o.T4, upper, inverse);
        Put(p, destination, d + 40, o.T5, upper, inverse);
        Put(p, destination, d + 48, o.T6, upper, inverse);
        Put(p, destination, d + 56, o.T7, upper, inverse);
    }

    private static void Put(AttentionParams p, in RowDestination destination, int d, in MmaAccumulator c, bool upper, float inverse) =>
        destination.Write2(p, d, (upper ? c.C2 : c.C0) * inverse, (upper ? c.C3 : c.C1) * inverse);
}
