using DeFT.Core.Planning;
using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2a on CUDA cores: fused partial attention of KV-guided groups. Each work item's KV tokens
/// are streamed once per thread group and scored against all of the task's rows with an online softmax
/// in fp32 (log2 domain); nothing of QKᵀ or the softmax goes to memory. GQA packing: the G query heads
/// of a query that share a KV head are rows of the same group, so a KV head's tokens are read once for all.
/// <para>
/// Grid: one group of <see cref="GroupSize"/> threads (4 warps) per (task, KV head), group index
/// <c>task·Hkv + kvHead</c>. Spread rows (plans that share KV): task row r belongs to warp <c>r mod 4</c>, slot
/// <c>r / 4</c>, so a task with few rows still uses all warps. Packed rows (<see cref="AttentionParams.PackRows"/>,
/// plans where each token serves about one query): row r belongs to warp <c>r / 4</c>, slot <c>r mod 4</c>, so one
/// warp scores its rows in one pass over the K tile instead of four warps each re-reading it. A warp skips the
/// arithmetic of empty slots. Per tile of 32 tokens, lane j scores token j for the warp's rows; then lane l
/// accumulates output dims
/// <c>[l·D/32, (l+1)·D/32)</c> of those rows over the tile's tokens. Each lane's row states are
/// <see cref="RowState"/> scalars in registers.
/// </para>
/// <para>
/// Shared memory (sized for D ≤ 128): K tile 32 × 65 words (each row padded by one word so lanes reading
/// different rows hit different banks) 8.3 KB; V tile 32 × 64 words 8 KB; Q rows 16 × 128 fp32 8 KB;
/// probabilities 16 rows × 32 fp32 2 KB; token masks 256 B. About 26.6 KB.
/// </para>
/// <para>
/// Output: a row whose query merges a single partial (its whole path is in this item) is final and is
/// written to the 16-bit output (and LSE) directly; other rows write their normalised partial output and
/// log2 LSE for <see cref="MergeKernel"/>. Rows that see no token of the item write nothing.
/// </para>
/// </summary>
internal static class PartialAttentionKernel
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 128;

    /// <summary>Rows (query × query head pairs) per task.</summary>
    public const int RowsPerTask = 16;

    /// <summary>Largest head dimension the shared-memory layout holds.</summary>
    public const int MaxHeadDim = 128;

    private const int Warps = GroupSize / 32;
    private const int RowsPerWarp = RowsPerTask / Warps;
    private const int TileTokens = 32;
    private const int KStride = MaxHeadDim / 2 + 1;
    private const int VStride = MaxHeadDim / 2;

    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/> (64 or 128) and element type <typeparamref name="TElement"/>.</summary>
    internal static void Kernel<TDim, TElement>(AttentionParams p) where TDim : struct, IHeadDim where TElement : struct, IElement
    {
        var element = default(TElement);
        int dim = default(TDim).Value;
        int chunksPerRow = dim / 8;

        var kTile = SharedMemory.Allocate<int>(TileTokens * KStride);
        var vTile = SharedMemory.Allocate<int>(TileTokens * VStride);
        var qRows = SharedMemory.Allocate<float>(RowsPerTask * MaxHeadDim);
        var probs = SharedMemory.Allocate<float>(RowsPerTask * TileTokens);
        var maskBegin = SharedMemory.Allocate<int>(TileTokens);
        var maskEnd = SharedMemory.Allocate<int>(TileTokens);

        int tid = Group.IdxX;
        int warp = tid >> 5;
        int lane = tid & 31;
        var task = TaskContext.Current(p, RowsPerTask);
        int kvHead = task.KvHead;
        var item = task.Item;
        int rowCount = task.RowCount;
        // Rows of this warp: rowBase, rowBase + rowStride, ... (spread: r mod 4 = warp; packed: r / 4 = warp).
        int rowBase = p.PackRows != 0 ? warp * RowsPerWarp : warp;
        int rowStride = p.PackRows != 0 ? 1 : Warps;
        int remaining = rowCount - rowBase; // the row count over the stride, which is 1 or the constant Warps (no runtime division)
        int slots = XMath.Max(0, XMath.Min(RowsPerWarp, p.PackRows != 0 ? remaining : (remaining + Warps - 1) / Warps)); // warp-uniform

        // Stage the task's query rows, pre-scaled (into the log2 domain, or by scale / cap); rows past the task are zero.
        for (int i = tid; i < RowsPerTask * dim; i += GroupSize)
        {
            int r = i / dim;
            int d = i - r * dim;
            float value = 0f;
            if (r < rowCount) value = element.ToFloat(p.Q[task.QOffset(p, r, dim) + d]) * p.ScoreScale;
            qRows[r * MaxHeadDim + d] = value;
        }

        var s0 = RowState.Start(task.Position(rowBase));
        var s1 = RowState.Start(task.Position(rowBase + rowStride));
        var s2 = RowState.Start(task.Position(rowBase + 2 * rowStride));
        var s3 = RowState.Start(task.Position(rowBase + 3 * rowStride));

        var k16 = p.K.Cast<Vec16>();
        var v16 = p.V.Cast<Vec16>();
        var vTile16 = vTile.Cast<Vec16>();
        var q4 = qRows.Cast<Float4>();
        for (int tile = item.TokenBegin; tile < item.TokenEnd; tile += TileTokens)
        {
            int count = XMath.Min(TileTokens, item.TokenEnd - tile);
            Group.Barrier(); // the previous tile is consumed; on the first pass, the Q rows are staged

            if (tid < TileTokens)
            {
                var range = tid < count ? p.TokenVisibility[tile + tid] : new QueryRange(0, 0);
                maskBegin[tid] = range.Begin;
                maskEnd[tid] = range.End;
            }
            // 128-bit loads of K and V rows; tokens past the tile's end are zero and masked.
            for (int c = tid; c < TileTokens * chunksPerRow; c += GroupSize)
            {
                int j = c / chunksPerRow;
                int chunk = c - j * chunksPerRow;
                Vec16 kc = default, vc = default;
                if (j < count)
                {
                    long at = ((long)p.TokenSlots[tile + j] * p.KvHeads + kvHead) * chunksPerRow + chunk;
                    kc = k16[at];
                    vc = v16[at];
                }
                int kAt = j * KStride + chunk * 4;
                kTile[kAt] = kc.X;
                kTile[kAt + 1] = kc.Y;
                kTile[kAt + 2] = kc.Z;
                kTile[kAt + 3] = kc.W;
                vTile16[j * (VStride / 4) + chunk] = vc;
            }
            Group.Barrier();
            if (slots == 0) continue;

            // Scores: lane j owns token j of the tile; one pass over K serves all of the warp's rows.
            float sc0 = 0f, sc1 = 0f, sc2 = 0f, sc3 = 0f;
            int kRow = lane * KStride;
            int qRow = rowBase * MaxHeadDim / 4;
            int qStep = rowStride * MaxHeadDim / 4;
            for (int w = 0; w < dim / 2; w += 2)
            {
                int w0 = kTile[kRow + w];
                int w1 = kTile[kRow + w + 1];
                float k0 = element.Low(w0), k1 = element.High(w0), k2 = element.Low(w1), k3 = element.High(w1);
                int qAt = qRow + w / 2;
                var qa = q4[qAt];
                sc0 += qa.X * k0 + qa.Y * k1 + qa.Z * k2 + qa.W * k3;
                if (slots > 1)
                {
                    var qb = q4[qAt + qStep];
                    sc1 += qb.X * k0 + qb.Y * k1 + qb.Z * k2 + qb.W * k3;
                }
                if (slots > 2)
                {
                    var qc = q4[qAt + 2 * qStep];
                    sc2 += qc.X * k0 + qc.Y * k1 + qc.Z * k2 + qc.W * k3;
                }
                if (slots > 3)
                {
                    var qd = q4[qAt + 3 * qStep];
                    sc3 += qd.X * k0 + qd.Y * k1 + qd.Z * k2 + qd.W * k3;
                }
            }

            if (p.SoftCapLog2 != 0f)
            {
                sc0 = p.SoftCapLog2 * XMath.Tanh(sc0);
                sc1 = p.SoftCapLog2 * XMath.Tanh(sc1);
                sc2 = p.SoftCapLog2 * XMath.Tanh(sc2);
                sc3 = p.SoftCapLog2 * XMath.Tanh(sc3);
            }

            int visibleFrom = maskBegin[lane];
            int visibleTo = maskEnd[lane];
            int pBase = rowBase * TileTokens + lane;
            int pStep = rowStride * TileTokens;
            Softmax(ref s0, sc0, visibleFrom, visibleTo, probs, pBase, dim);
            if (slots > 1) Softmax(ref s1, sc1, visibleFrom, visibleTo, probs, pBase + pStep, dim);
            if (slots > 2) Softmax(ref s2, sc2, visibleFrom, visibleTo, probs, pBase + 2 * pStep, dim);
            if (slots > 3) Softmax(ref s3, sc3, visibleFrom, visibleTo, probs, pBase + 3 * pStep, dim);
            Warp.Barrier();

            // P·V: lane l owns dims [l·D/32, (l+1)·D/32); V words are read once for all rows.
            int dimsPerLane = dim / 32;
            int vAt = lane * dimsPerLane / 2;
            int pAt = rowBase * TileTokens;
            for (int j = 0; j < count; j++)
            {
                int word0 = vTile[j * VStride + vAt];
                float v0 = element.Low(word0), v1 = element.High(word0), v2 = 0f, v3 = 0f;
                if (dimsPerLane == 4)
                {
                    int word1 = vTile[j * VStride + vAt + 1];
                    v2 = element.Low(word1);
                    v3 = element.High(word1);
                }
                Accumulate(ref s0, probs[pAt + j], v0, v1, v2, v3);
                if (slots > 1) Accumulate(ref s1, probs[pAt + pStep + j], v0, v1, v2, v3);
                if (slots > 2) Accumulate(ref s2, probs[pAt + 2 * pStep + j], v0, v1, v2, v3);
                if (slots > 3) Accumulate(ref s3, probs[pAt + 3 * pStep + j], v0, v1, v2, v3);
            }
        }

        if (slots > 0) Finish<TElement>(ref s0, rowBase, lane, task, dim, p);
        if (slots > 1) Finish<TElement>(ref s1, rowBase + rowStride, lane, task, dim, p);
        if (slots > 2) Finish<TElement>(ref s2, rowBase + 2 * rowStride, lane, task, dim, p);
        if (slots > 3) Finish<TElement>(ref s3, rowBase + 3 * rowStride, lane, task, dim, p);
    }

    /// <summary>Online-softmax step of one row for this lane's token; stores the probability for P·V.</summary>
    private static void Softmax(ref RowState s, float score, int visibleFrom, int visibleTo, ArrayView<float> probs, int at, int dim)
    {
        bool visible = s.Position >= visibleFrom && s.Position < visibleTo;
        float masked = visible ? score : float.NegativeInfinity;
        float newMax = XMath.Max(s.Max, WarpReduce.Max(masked));
        float prob = visible ? XMath.Exp2(masked - newMax) : 0f;
        float correction = newMax == float.NegativeInfinity ? 1f : XMath.Exp2(s.Max - newMax);
        s.Max = newMax;
        s.Sum = s.Sum * correction + prob;
        s.O0 *= correction;
        s.O1 *= correction;
        if (dim / 32 == 4)
        {
            s.O2 *= correction;
            s.O3 *= correction;
        }
        probs[at] = prob;
    }

    // A token the row does not see has probability exactly 0 and is skipped, not multiplied: 0 × ∞ and 0 × NaN are NaN,
    // and the V of another branch must not reach this row (the branch is warp-uniform: every lane reads the same p).
    private static void Accumulate(ref RowState s, float prob, float v0, float v1, float v2, float v3)
    {
        if (prob == 0f) return;
        s.O0 += prob * v0;
        s.O1 += prob * v1;
        s.O2 += prob * v2;
        s.O3 += prob * v3;
    }

    /// <summary>Normalises one row and writes it through the shared epilogue (<see cref="RowDestination"/>).</summary>
    private static void Finish<TElement>(ref RowState s, int taskRow, int lane, in TaskContext task, int dim, AttentionParams p)
        where TElement : struct, IElement
    {
        float sum = WarpReduce.Sum(s.Sum);
        if (sum == 0f) return; // the row sees nothing in this item (warp-uniform)
        var destination = RowDestination.For(p, task, taskRow, s.Position, dim);
        float inverse = 1f / sum;
        int d = lane * (dim / 32);
        destination.Write2<TElement>(d, s.O0 * inverse, s.O1 * inverse);
        if (dim / 32 == 4) destination.Write2<TElement>(d + 2, s.O2 * inverse, s.O3 * inverse);
        if (lane == 0) destination.WriteLse(p, s.Max, sum);
    }
}
