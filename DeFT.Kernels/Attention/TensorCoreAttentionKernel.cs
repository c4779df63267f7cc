using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2a on tensor cores: the same contract as <see cref="PartialAttentionKernel"/> (tasks, masks,
/// log2-domain online softmax, direct or partial output), computed FlashAttention-2 style with
/// <c>mma.sync.m16n8k16</c> (fp16 inputs, fp32 accumulation) through <see cref="Mma"/>.
/// <para>
/// Grid: one group of <see cref="GroupSize"/> threads (4 warps) per (task, KV head), group index
/// <c>task·Hkv + kvHead</c>; a task is up to <see cref="RowsPerTask"/> rows of one work item. Warp w owns task
/// rows <c>16w..16w+15</c> (one m16 tile); lane l (g = l/4, t = l%4) holds rows <c>16w+g</c> and <c>16w+g+8</c>,
/// and of each 8-column fragment (S: tokens, O: dims) the columns 2t, 2t+1. All threads stage Q, K, V and masks;
/// a warp without a valid row skips the arithmetic but joins every barrier.
/// </para>
/// <para>
/// Per lane, in registers (explicit fields, no indexed arrays): the score tile S = Q·Kᵀ of the warp's 16 rows
/// over <see cref="TileTokens"/> = 32 tokens (<see cref="MmaAccumulators4"/>, 16 fp32); the output O (D/8
/// accumulator fragments, 64 fp32 at D = 128, for the whole task); running max and sum of its two rows. Q is not
/// kept in registers: the group stages the task's 64 Q rows in shared memory once (fp16 as given; rows past the
/// task are zero; the scores are scaled into the log2 domain in fp32 after the product) and each k-step loads its
/// A fragment from there (two 64-bit loads) and uses it for all four S fragments (k-step outer, fragment inner).
/// Per KV tile: S from K B-fragments in shared memory; mask (skipped when every token of the tile is visible to
/// every row of the task, decided with one <c>bar.red.and</c>); online softmax on the S fragments (row max over a
/// quad with two xor-shuffles, exp2 in fp32; fully masked rows stay at −∞ without NaN); P converted to fp16 A
/// fragments straight from the S accumulators (k-step s over tokens 16s..16s+15 takes a0/a1 from S fragment 2s
/// and a2/a3 from fragment 2s+1; two k-steps per tile); and O += P·V with V B-fragments from shared memory.
/// Registers: 64 (O) + 16 (S) + one A fragment and its B fragments (4 + 8 per k-step) + addresses and softmax
/// state, aimed at ≤ 168 per thread at D = 128 so three groups (12 warps) fit per SM (65536 / 384 = 170).
/// The previous layout (64-token tiles, Q in registers) needed 207 (ptxas, H200): two groups per SM.
/// </para>
/// <para>
/// Shared memory (sized for D ≤ 128), 40 192 B = 39.25 KB of the 48 KB a group may use: K tile, row-major by token,
/// 32 rows × 72 words (9 216 B); V tile transposed, dim-major, 128 rows × 24 words (12 288 B); Q, row-major by
/// task row, 64 rows × 72 words (18 432 B); token masks 32 × 8 B (256 B). Within each 8-word (16 fp16) block of a
/// K, V or Q row the words are stored in the order 0,4,1,5,2,6,3,7, so a lane's B fragment (words t and t+4 of a
/// block) and each half of its Q A fragment (row g or g+8, words t and t+4) are one aligned 64-bit load. Row
/// strides of 72 and 24 words (odd multiples of 8: the four quads of a half-warp land on distinct 8-bank groups)
/// make those loads conflict-free. K and V come from global memory in 128-bit loads with 64-bit offsets; Q in
/// 16-bit loads (no alignment assumed), once per task. The only local memory is the 40-byte
/// <see cref="MmaOperands"/> slot set that ILGPU's inline asm needs (ptxas promotes it to registers).
/// </para>
/// <para>
/// Known limits: one tile buffer, so a group's global loads do not overlap its own arithmetic (the other groups
/// of the SM hide them); each B fragment read from shared memory feeds one mma (16 rows per warp), and each Q
/// A fragment is re-read from shared memory per tile, so shared-memory traffic is of the order of the mma rate.
/// Next steps if profiles say so: <c>cp.async</c> double buffering, 32 rows per warp.
/// </para>
/// <para>
/// Output as in <see cref="PartialAttentionKernel"/>: a row whose query has a single partial writes the final
/// fp16 output (and natural-log LSE); other rows write their normalised partial and log2 LSE; rows that see no
/// token of the item write nothing.
/// </para>
/// </summary>
public static class TensorCoreAttentionKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>Rows (query × query head pairs) per task: 16 per warp.</summary>
    public const int RowsPerTask = 64;

    /// <summary>Largest head dimension the shared-memory layout holds.</summary>
    public const int MaxHeadDim = 128;

    /// <summary>KV tokens per shared-memory tile.</summary>
    public const int TileTokens = 32;

    /// <summary>K tile row stride in 32-bit words (D/2 used; ≡ 8 mod 32).</summary>
    private const int KStride = MaxHeadDim / 2 + 8;

    /// <summary>Transposed V tile row stride in 32-bit words (TileTokens/2 = 16 used; 24, an odd multiple of 8).</summary>
    private const int VStride = TileTokens / 2 + 8;

    /// <summary>Q row stride in 32-bit words (D/2 used, interleaved like K; ≡ 8 mod 32).</summary>
    private const int QStride = MaxHeadDim / 2 + 8;


    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/> (64 or 128).</summary>
    public static void Kernel<TDim>(AttentionParams p) where TDim : struct, IHeadDim
    {
        int dim = default(TDim).Value;
        var kTile = SharedMemory.Allocate<uint>(TileTokens * KStride);
        var vTile = SharedMemory.Allocate<uint>(MaxHeadDim * VStride);
        var qTile = SharedMemory.Allocate<uint>(RowsPerTask * QStride);
        var masks = SharedMemory.Allocate<QueryRange>(TileTokens);

        int tid = Group.IdxX;
        int warp = tid / 32;
        int lane = tid % 32;
        int g = lane >> 2;
        int t = lane & 3;
        int kvHead = Grid.IdxX % p.KvHeads;
        var task = p.Tasks[Grid.IdxX / p.KvHeads];
        var item = p.Items[task.Item];
        int group = p.QueryHeads / p.KvHeads;
        int rowCount = XMath.Min(RowsPerTask, item.QueryCount * group - task.RowBegin);
        int firstPosition = item.QueryBegin + task.RowBegin / group;
        int lastPosition = item.QueryBegin + (task.RowBegin + rowCount - 1) / group;
        bool warpActive = warp * 16 < rowCount;

        // This lane's two rows (task-relative) and their ordered query positions (-1: no row).
        int rowLow = warp * 16 + g;
        int rowHigh = rowLow + 8;
        int posLow = rowLow < rowCount ? item.QueryBegin + (task.RowBegin + rowLow) / group : -1;
        int posHigh = rowHigh < rowCount ? item.QueryBegin + (task.RowBegin + rowHigh) / group : -1;

        // Q rows of the task into shared memory (fp16, blocks of 8 words interleaved like K); rows past the task are
        // zero. Read only after the first barrier of the tile loop (an item without tokens reads none).
        int wordsPerRow = dim / 2;
        for (int i = tid; i < RowsPerTask * wordsPerRow; i += GroupSize)
        {
            int r = i / wordsPerRow;
            int w = i - r * wordsPerRow;
            uint bits = 0u;
            if (r < rowCount)
            {
                int row = task.RowBegin + r;
                long at = QRow(p, item.QueryBegin + row / group, row, kvHead, group, dim);
                bits = PairBits(p.Q, at + 2 * w);
            }
            qTile[r * QStride + (w & ~7) + Interleave(w & 7)] = bits;
        }

        var oLow = default(MmaAccumulators8);  // output dims 0..63
        var oHigh = default(MmaAccumulators8); // output dims 64..127 (D = 128)
        var slots = default(MmaOperands);
        float maxLow = float.NegativeInfinity, maxHigh = float.NegativeInfinity;
        float sumLow = 0f, sumHigh = 0f; // this lane's share of the row sums

        var k16 = p.K.Cast<Vec16>();
        var v16 = p.V.Cast<Vec16>();
        var kTile16 = kTile.Cast<Vec16>();
        var kTileB = kTile.Cast<MmaB>();
        var vTileB = vTile.Cast<MmaB>();
        var qTileB = qTile.Cast<MmaB>();
        int chunksPerRow = dim / 8;
        int blocksPerRow = dim / 16;
        // This lane's B fragments: K row (token) 8j+g, V row (dim) 8j+g; the lane's MmaB within a block is t. Its
        // A fragments of Q: rows 16w+g and 16w+g+8, MmaB t of each block. Per-lane views, so every fragment load
        // below is this base plus a constant (folded into the load).
        int kAt = g * (KStride / 2) + t;
        int vAt = g * (VStride / 2) + t;
        int qAt = rowLow * (QStride / 2) + t;
        var kLane = kTileB.SubView(kAt, kTileB.Length - kAt);
        var vLane = vTileB.SubView(vAt, vTileB.Length - vAt);
        var qLane = qTileB.SubView(qAt, qTileB.Length - qAt);
        var maskLane = masks.SubView(2 * t, TileTokens - 2 * t);

        for (int tile = item.TokenBegin; tile < item.TokenEnd; tile += TileTokens)
        {
            int count = XMath.Min(TileTokens, item.TokenEnd - tile);
            Group.Barrier(); // the previous tile is consumed

            // Masks; a thread whose token is visible to every row of the task votes "no mask needed".
            bool visibleToAll = true;
            if (tid < TileTokens)
            {
                var range = tid < count ? p.TokenVisibility[tile + tid] : new QueryRange(0, 0);
                masks[tid] = range;
                visibleToAll = range.Begin <= firstPosition && range.End > lastPosition;
            }

            // K: thread → (token, 16-dim block), two 128-bit loads, stored as words 0,4,1,5 | 2,6,3,7.
            // Threads 4..7 of each 8 store their halves in the other order (conflict-free 128-bit stores).
            for (int c = tid; c < TileTokens * blocksPerRow; c += GroupSize)
            {
                int j = c / blocksPerRow;
                int block = c - j * blocksPerRow;
                Vec16 lo = default, hi = default;
                if (j < count)
                {
                    long at = ((long)p.TokenSlots[tile + j] * p.KvHeads + kvHead) * chunksPerRow + 2 * block;
                    lo = k16[at];
                    hi = k16[at + 1];
                }
                var first = new Vec16 { X = lo.X, Y = hi.X, Z = lo.Y, W = hi.Y };
                var second = new Vec16 { X = lo.Z, Y = hi.Z, Z = lo.W, W = hi.W };
                int dst = j * (KStride / 4) + 2 * block;
                if ((lane & 4) == 0)
                {
                    kTile16[dst] = first;
                    kTile16[dst + 1] = second;
                }
                else
                {
                    kTile16[dst + 1] = second;
                    kTile16[dst] = first;
                }
            }

            // V, transposed: thread → (token pair, 8-dim chunk); word (d, pair) = (V[2·pair][d], V[2·pair+1][d]).
            // 16 pairs per tile, so a warp covers two chunks: the odd chunk (lanes 16..31) stores its dim rows
            // rotated by two (rows 2..7, then 0..1), which puts its words 16 banks away from the even chunk's.
            for (int u = tid; u < TileTokens / 2 * chunksPerRow; u += GroupSize)
            {
                int pair = u % (TileTokens / 2);
                int chunk = u / (TileTokens / 2);
                Vec16 a = default, b = default;
                int j = 2 * pair;
                if (j < count)
                {
                    a = v16[((long)p.TokenSlots[tile + j] * p.KvHeads + kvHead) * chunksPerRow + chunk];
                    if (j + 1 < count) b = v16[((long)p.TokenSlots[tile + j + 1] * p.KvHeads + kvHead) * chunksPerRow + chunk];
                }
                bool odd = (chunk & 1) != 0;
                int column = (pair & ~7) + Interleave(pair & 7);
                int at = 8 * chunk * VStride + column + (odd ? 2 * VStride : 0);
                var ar = odd ? new Vec16 { X = a.Y, Y = a.Z, Z = a.W, W = a.X } : a;
                var br = odd ? new Vec16 { X = b.Y, Y = b.Z, Z = b.W, W = b.X } : b;
                StoreTransposed(vTile, at, (uint)ar.X, (uint)br.X);
                StoreTransposed(vTile, at + 2 * VStride, (uint)ar.Y, (uint)br.Y);
                StoreTransposed(vTile, at + 4 * VStride, (uint)ar.Z, (uint)br.Z);
                StoreTransposed(vTile, odd ? at - 2 * VStride : at + 6 * VStride, (uint)ar.W, (uint)br.W);
            }

            bool unmasked = Group.BarrierAnd(visibleToAll);
            if (!warpActive) continue;

            // S = Q·Kᵀ (log2 domain after scaling), then the mask.
            var scores = default(MmaAccumulators4);
            Scores<TDim>(ref slots, ref scores, qLane, kLane);
            if (unmasked) scores.Scale(p.ScaleLog2, p.ScaleLog2);
            else MaskAll(ref scores, maskLane, posLow, posHigh, p.ScaleLog2);

            // Online softmax of the two rows over the tile.
            var tileMax = new Float2 { X = scores.MaxLow(), Y = scores.MaxHigh() };
            tileMax = QuadMax(tileMax);
            float newLow = XMath.Max(maxLow, tileMax.X);
            float newHigh = XMath.Max(maxHigh, tileMax.Y);
            float baseLow = newLow == float.NegativeInfinity ? 0f : newLow;
            float baseHigh = newHigh == float.NegativeInfinity ? 0f : newHigh;
            float correctionLow = XMath.Exp2(maxLow - baseLow);
            float correctionHigh = XMath.Exp2(maxHigh - baseHigh);
            maxLow = newLow;
            maxHigh = newHigh;
            float tileSumLow = 0f, tileSumHigh = 0f;
            ExpAll(ref scores, baseLow, baseHigh, ref tileSumLow, ref tileSumHigh);
            sumLow = sumLow * correctionLow + tileSumLow;
            sumHigh = sumHigh * correctionHigh + tileSumHigh;
            oLow.Scale(correctionLow, correctionHigh);
            if (dim > 64) oHigh.Scale(correctionLow, correctionHigh);

            // O += P·V (two k-steps of 16 tokens), P as fp16 A fragments straight from the score accumulators.
            Values<TDim>(ref slots, ref oLow, ref oHigh, PFragment(scores.T0, scores.T1), vLane, 0);
            Values<TDim>(ref slots, ref oLow, ref oHigh, PFragment(scores.T2, scores.T3), vLane, 4);
        }

        // Row sums over the quad, then each valid row that saw a token writes its result.
        var sums = QuadSum(new Float2 { X = sumLow, Y = sumHigh });
        if (!warpActive) return;
        if (posLow >= 0 && sums.X > 0f)
            WriteRow<TDim>(p, item, task.RowBegin + rowLow, posLow, kvHead, group, maxLow, sums.X, ref oLow, ref oHigh, false, t);
        if (posHigh >= 0 && sums.Y > 0f)
            WriteRow<TDim>(p, item, task.RowBegin + rowHigh, posHigh, kvHead, group, maxHigh, sums.Y, ref oLow, ref oHigh, true, t);
    }

    // Offset of a row's Q vector, or -1 for no row.
    private static long QRow(AttentionParams p, int position, int row, int kvHead, int group, int dim)
    {
        if (position < 0) return -1;
        int query = p.QueryOrder[position];
        int head = kvHead * group + row % group;
        return ((long)query * p.QueryHeads + head) * dim;
    }

    private static uint PairBits(ArrayView<Half> view, long at) =>
        Interop.FloatAsInt(view[at]) | ((uint)Interop.FloatAsInt(view[at + 1]) << 16);

    // Position of word w (0..7) of a 16-fp16 block: 0,4,1,5,2,6,3,7 order, so words t and t+4 are adjacent.
    private static int Interleave(int w) => w < 4 ? 2 * w : 2 * w - 7;

    // Two dims (2m, 2m+1) of a token pair: a and b hold (dim 2m low, 2m+1 high) of the two tokens.
    private static void StoreTransposed(ArrayView<uint> vTile, int at, uint a, uint b)
    {
        vTile[at] = (a & 0xFFFFu) | (b << 16);
        vTile[at + VStride] = (a >> 16) | (b & 0xFFFF0000u);
    }

    // S tile (32 tokens) of the warp's 16 rows: fragment j = tokens 8j..8j+7. k-step outer: each Q A fragment is
    // loaded from shared memory once and feeds the four fragments. `q` and `k` are the lane's views of the Q and K tiles.
    private static void Scores<TDim>(ref MmaOperands slots, ref MmaAccumulators4 s, ArrayView<MmaB> q, ArrayView<MmaB> k)
        where TDim : struct, IHeadDim
    {
        s = default;
        ScoreStep(ref slots, ref s, q, k, 0);
        ScoreStep(ref slots, ref s, q, k, 1);
        ScoreStep(ref slots, ref s, q, k, 2);
        ScoreStep(ref slots, ref s, q, k, 3);
        if (default(TDim).Value > 64)
        {
            ScoreStep(ref slots, ref s, q, k, 4);
            ScoreStep(ref slots, ref s, q, k, 5);
            ScoreStep(ref slots, ref s, q, k, 6);
            ScoreStep(ref slots, ref s, q, k, 7);
        }
    }

    // k-step `step` (dims 16·step..16·step+15) of the four score fragments: block `step` of Q rows g, g+8 and of
    // K rows (tokens) 8j+g, j = 0..3 (4 MmaB per block).
    private static void ScoreStep(ref MmaOperands slots, ref MmaAccumulators4 s, ArrayView<MmaB> q, ArrayView<MmaB> k, int step)
    {
        const int Step = 8 * KStride / 2;
        int at = 4 * step;
        var low = q[at];                      // row g: words t, t+4 of the block
        var high = q[at + 8 * QStride / 2];   // row g+8
        var a = new MmaA { A0 = low.B0, A1 = high.B0, A2 = low.B1, A3 = high.B1 };
        Mma.MultiplyAdd(ref slots, ref s.T0, a, k[at]);
        Mma.MultiplyAdd(ref slots, ref s.T1, a, k[at + Step]);
        Mma.MultiplyAdd(ref slots, ref s.T2, a, k[at + 2 * Step]);
        Mma.MultiplyAdd(ref slots, ref s.T3, a, k[at + 3 * Step]);
    }

    // Scales visible scores into the log2 domain and sets the others to −∞. `masks` is the lane's view (from token
    // 2t): fragment j covers tokens 8j + 2t and 8j + 2t + 1.
    private static void MaskAll(ref MmaAccumulators4 s, ArrayView<QueryRange> masks, int posLow, int posHigh, float scale)
    {
        Mask(ref s.T0, masks, 0, posLow, posHigh, scale);
        Mask(ref s.T1, masks, 8, posLow, posHigh, scale);
        Mask(ref s.T2, masks, 16, posLow, posHigh, scale);
        Mask(ref s.T3, masks, 24, posLow, posHigh, scale);
    }

    private static void Mask(ref MmaAccumulator s, ArrayView<QueryRange> masks, int token, int posLow, int posHigh, float scale)
    {
        var r0 = masks[token];
        var r1 = masks[token + 1];
        s.C0 = r0.Contains(posLow) ? s.C0 * scale : float.NegativeInfinity;
        s.C1 = r1.Contains(posLow) ? s.C1 * scale : float.NegativeInfinity;
        s.C2 = r0.Contains(posHigh) ? s.C2 * scale : float.NegativeInfinity;
        s.C3 = r1.Contains(posHigh) ? s.C3 * scale : float.NegativeInfinity;
    }

    // Scores → probabilities 2^(s − base) in place; adds this lane's share to the row sums.
    private static void ExpAll(ref MmaAccumulators4 s, float baseLow, float baseHigh, ref float sumLow, ref float sumHigh)
    {
        Exp(ref s.T0, baseLow, baseHigh, ref sumLow, ref sumHigh);
        Exp(ref s.T1, baseLow, baseHigh, ref sumLow, ref sumHigh);
        Exp(ref s.T2, baseLow, baseHigh, ref sumLow, ref sumHigh);
        Exp(ref s.T3, baseLow, baseHigh, ref sumLow, ref sumHigh);
    }

    private static void Exp(ref MmaAccumulator s, float baseLow, float baseHigh, ref float sumLow, ref float sumHigh)
    {
        s.C0 = XMath.Exp2(s.C0 - baseLow);
        s.C1 = XMath.Exp2(s.C1 - baseLow);
        s.C2 = XMath.Exp2(s.C2 - baseHigh);
        s.C3 = XMath.Exp2(s.C3 - baseHigh);
        sumLow += s.C0 + s.C1;
        sumHigh += s.C2 + s.C3;
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

    private static Float2 QuadSum(Float2 v)
    {
        var o = Warp.ShuffleXor(v, 1);
        v.X += o.X;
        v.Y += o.Y;
        o = Warp.ShuffleXor(v, 2);
        v.X += o.X;
        v.Y += o.Y;
        return v;
    }

    // The A fragment of P for tokens 16s..16s+15 from score fragments 2s (left) and 2s+1 (right).
    private static MmaA PFragment(in MmaAccumulator left, in MmaAccumulator right) => new()
    {
        A0 = Mma.Pack(left.C0, left.C1),
        A1 = Mma.Pack(left.C2, left.C3),
        A2 = Mma.Pack(right.C0, right.C1),
        A3 = Mma.Pack(right.C2, right.C3),
    };

    // O += P_s·V_s for one k-step of 16 tokens (at = 4s in the lane's view `v` of the V tile): output fragment
    // j = dims 8j..8j+7 (V rows 8j + g).
    private static void Values<TDim>(ref MmaOperands slots, ref MmaAccumulators8 low, ref MmaAccumulators8 high, in MmaA pk,
        ArrayView<MmaB> v, int at) where TDim : struct, IHeadDim
    {
        const int Step = 8 * VStride / 2;
        Mma.MultiplyAdd(ref slots, ref low.T0, pk, v[at]);
        Mma.MultiplyAdd(ref slots, ref low.T1, pk, v[at + Step]);
        Mma.MultiplyAdd(ref slots, ref low.T2, pk, v[at + 2 * Step]);
        Mma.MultiplyAdd(ref slots, ref low.T3, pk, v[at + 3 * Step]);
        Mma.MultiplyAdd(ref slots, ref low.T4, pk, v[at + 4 * Step]);
        Mma.MultiplyAdd(ref slots, ref low.T5, pk, v[at + 5 * Step]);
        Mma.MultiplyAdd(ref slots, ref low.T6, pk, v[at + 6 * Step]);
        Mma.MultiplyAdd(ref slots, ref low.T7, pk, v[at + 7 * Step]);
        if (default(TDim).Value > 64)
        {
            Mma.MultiplyAdd(ref slots, ref high.T0, pk, v[at + 8 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T1, pk, v[at + 9 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T2, pk, v[at + 10 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T3, pk, v[at + 11 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T4, pk, v[at + 12 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T5, pk, v[at + 13 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T6, pk, v[at + 14 * Step]);
            Mma.MultiplyAdd(ref slots, ref high.T7, pk, v[at + 15 * Step]);
        }
    }

    // Writes one row (task row `row`, ordered position `position`): final fp16 output when its query has a single
    // partial, else the normalised partial. `upper` picks the lane's row-g+8 elements (C2, C3) over row g (C0, C1).
    private static void WriteRow<TDim>(AttentionParams p, WorkItem item, int row, int position, int kvHead, int group,
        float max, float sum, ref MmaAccumulators8 low, ref MmaAccumulators8 high, bool upper, int t)
        where TDim : struct, IHeadDim
    {
        int dim = default(TDim).Value;
        int head = kvHead * group + row % group;
        int query = p.QueryOrder[position];
        float inverse = 1f / sum;
        float lse2 = max + XMath.Log2(sum);
        bool direct = p.PartialOffsets[query + 1] - p.PartialOffsets[query] == 1;
        long baseAt;
        if (direct)
        {
            baseAt = ((long)query * p.QueryHeads + head) * dim + 2 * t;
            if (t == 0 && p.Lse.Length > 0) p.Lse[(long)query * p.QueryHeads + head] = lse2 * Log2Domain.Ln2;
        }
        else
        {
            long slot = item.PartialBase + position - item.QueryBegin;
            baseAt = (slot * p.QueryHeads + head) * dim + 2 * t;
            if (t == 0) p.PartialLse[slot * p.QueryHeads + head] = lse2;
        }
        // Fragment j holds dims 8j + 2t, 8j + 2t + 1.
        Put(p, direct, baseAt, low.T0, upper, inverse);
        Put(p, direct, baseAt + 8, low.T1, upper, inverse);
        Put(p, direct, baseAt + 16, low.T2, upper, inverse);
        Put(p, direct, baseAt + 24, low.T3, upper, inverse);
        Put(p, direct, baseAt + 32, low.T4, upper, inverse);
        Put(p, direct, baseAt + 40, low.T5, upper, inverse);
        Put(p, direct, baseAt + 48, low.T6, upper, inverse);
        Put(p, direct, baseAt + 56, low.T7, upper, inverse);
        if (dim > 64)
        {
            Put(p, direct, baseAt + 64, high.T0, upper, inverse);
            Put(p, direct, baseAt + 72, high.T1, upper, inverse);
            Put(p, direct, baseAt + 80, high.T2, upper, inverse);
            Put(p, direct, baseAt + 88, high.T3, upper, inverse);
            Put(p, direct, baseAt + 96, high.T4, upper, inverse);
            Put(p, direct, baseAt + 104, high.T5, upper, inverse);
            Put(p, direct, baseAt + 112, high.T6, upper, inverse);
            Put(p, direct, baseAt + 120, high.T7, upper, inverse);
        }
    }

    // Two adjacent output elements at element offset `at`: fp16 output (two 16-bit stores, no alignment needed)
    // or fp32 partial (one 64-bit store; `at` is even and the workspace is ours, so it is aligned).
    private static void Put(AttentionParams p, bool direct, long at, in MmaAccumulator c, bool upper, float inverse)
    {
        float x = (upper ? c.C2 : c.C0) * inverse;
        float y = (upper ? c.C3 : c.C1) * inverse;
        if (direct)
        {
            p.Output[at] = (Half)x;
            p.Output[at + 1] = (Half)y;
        }
        else
        {
            p.PartialOutput.Cast<Float2>()[at / 2] = new Float2 { X = x, Y = y };
        }
    }
}
