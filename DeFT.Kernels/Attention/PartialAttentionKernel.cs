using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Attention;

/// <summary>
/// DeFT stage 2a, fused partial attention of KV-guided groups. Each work item's KV tokens are streamed
/// once per thread group and scored against all of its rows with an online softmax in fp32 (log2 domain);
/// nothing of QKᵀ or the softmax goes to memory. GQA packing: the G query heads of a query that share
/// a KV head are rows of the same group, so a KV head's tokens are read once for all of them.
/// <para>
/// Grid: one group of <see cref="GroupSize"/> threads (4 warps) per (task, KV head), group index
/// <c>task·Hkv + kvHead</c>. Warp w owns task rows <c>4w..4w+3</c>. Per tile of 32 tokens, lane j scores
/// token j for the warp's 4 rows; then lane l accumulates output dims <c>[l·D/32, (l+1)·D/32)</c> of those
/// rows over the tile's tokens.
/// </para>
/// <para>
/// Shared memory (sized for D ≤ 128): K tile 32 × 65 words (each row padded by one word so lanes reading
/// different rows hit different banks) 8.3 KB; V tile 32 × 64 words 8 KB; Q rows 16 × 128 fp32 8 KB;
/// probabilities 4 × 4 × 32 fp32 2 KB; token masks 256 B. About 26.6 KB.
/// </para>
/// <para>
/// Output: a row whose query merges a single partial (its whole path is in this item) is final and is
/// written to the fp16 output (and LSE) directly; other rows write their normalised partial output and
/// log2 LSE for <see cref="MergeKernel"/>. Rows that see no token of the item write nothing.
/// </para>
/// </summary>
public static class PartialAttentionKernel
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
    private const int MaxDimsPerLane = MaxHeadDim / 32;
    private const float Ln2 = 0.693147180559945309f;

    /// <summary>The kernel, specialised for head dimension <typeparamref name="TDim"/>.</summary>
    public static void Kernel<TDim>(AttentionParams p) where TDim : struct, IHeadDim
    {
        int dim = default(TDim).Value;
        int dimsPerLane = dim / 32;
        int chunksPerRow = dim / 8;

        var kTile = SharedMemory.Allocate<int>(TileTokens * KStride);
        var vTile = SharedMemory.Allocate<int>(TileTokens * VStride);
        var qRows = SharedMemory.Allocate<float>(RowsPerTask * MaxHeadDim);
        var probs = SharedMemory.Allocate<float>(RowsPerTask * TileTokens);
        var maskBegin = SharedMemory.Allocate<int>(TileTokens);
        var maskEnd = SharedMemory.Allocate<int>(TileTokens);

        int tid = Group.IdxX;
        int warp = tid / 32;
        int lane = tid % 32;
        int kvHead = Grid.IdxX % p.KvHeads;
        var task = p.Tasks[Grid.IdxX / p.KvHeads];
        var item = p.Items[task.Item];
        int group = p.QueryHeads / p.KvHeads;
        int rowCount = XMath.Min(RowsPerTask, item.QueryCount * group - task.RowBegin);

        // Stage the task's query rows, pre-scaled into the log2 domain; rows past the task are zero.
        for (int i = tid; i < RowsPerTask * dim; i += GroupSize)
        {
            int r = i / dim;
            int d = i - r * dim;
            float value = 0f;
            if (r < rowCount)
            {
                int row = task.RowBegin + r;
                int query = p.QueryOrder[item.QueryBegin + row / group];
                int head = kvHead * group + row % group;
                value = (float)p.Q[((long)query * p.QueryHeads + head) * dim + d] * p.ScaleLog2;
            }
            qRows[r * MaxHeadDim + d] = value;
        }

        // Per-row state of this warp's rows: ordered query position (-1: no row), running max,
        // this lane's share of the running sum, and this lane's output dims.
        var position = LocalMemory.Allocate<int>(RowsPerWarp);
        var runMax = LocalMemory.Allocate<float>(RowsPerWarp);
        var runSum = LocalMemory.Allocate<float>(RowsPerWarp);
        var score = LocalMemory.Allocate<float>(RowsPerWarp);
        var acc = LocalMemory.Allocate<float>(RowsPerWarp * MaxDimsPerLane);
        for (int i = 0; i < RowsPerWarp; i++)
        {
            int r = warp * RowsPerWarp + i;
            position[i] = r < rowCount ? item.QueryBegin + (task.RowBegin + r) / group : -1;
            runMax[i] = float.NegativeInfinity;
            runSum[i] = 0f;
            for (int x = 0; x < MaxDimsPerLane; x++) acc[i * MaxDimsPerLane + x] = 0f;
        }

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

            // Scores: lane j owns token j of the tile.
            for (int i = 0; i < RowsPerWarp; i++) score[i] = 0f;
            int kRow = lane * KStride;
            for (int w = 0; w < dim / 2; w += 2)
            {
                int w0 = kTile[kRow + w];
                int w1 = kTile[kRow + w + 1];
                float k0 = HalfBits.Low(w0), k1 = HalfBits.High(w0), k2 = HalfBits.Low(w1), k3 = HalfBits.High(w1);
                for (int i = 0; i < RowsPerWarp; i++)
                {
                    var q = q4[((warp * RowsPerWarp + i) * MaxHeadDim + 2 * w) / 4];
                    score[i] += q.X * k0 + q.Y * k1 + q.Z * k2 + q.W * k3;
                }
            }

            // Online softmax with the token masks.
            int visibleFrom = maskBegin[lane];
            int visibleTo = maskEnd[lane];
            for (int i = 0; i < RowsPerWarp; i++)
            {
                bool visible = position[i] >= visibleFrom && position[i] < visibleTo;
                float s = visible ? score[i] : float.NegativeInfinity;
                float newMax = XMath.Max(runMax[i], WarpReduce.Max(s));
                float prob = visible ? XMath.Exp2(s - newMax) : 0f;
                float correction = newMax == float.NegativeInfinity ? 1f : XMath.Exp2(runMax[i] - newMax);
                runMax[i] = newMax;
                runSum[i] = runSum[i] * correction + prob;
                for (int x = 0; x < dimsPerLane; x++) acc[i * MaxDimsPerLane + x] *= correction;
                probs[(warp * RowsPerWarp + i) * TileTokens + lane] = prob;
            }
            Warp.Barrier();

            // P·V: lane l owns dims [l·D/32, (l+1)·D/32).
            for (int j = 0; j < count; j++)
            {
                int vAt = j * VStride + lane * dimsPerLane / 2;
                for (int x = 0; x < dimsPerLane; x += 2)
                {
                    int word = vTile[vAt + x / 2];
                    float v0 = HalfBits.Low(word), v1 = HalfBits.High(word);
                    for (int i = 0; i < RowsPerWarp; i++)
                    {
                        float pr = probs[(warp * RowsPerWarp + i) * TileTokens + j];
                        acc[i * MaxDimsPerLane + x] += pr * v0;
                        acc[i * MaxDimsPerLane + x + 1] += pr * v1;
                    }
                }
            }
        }

        for (int i = 0; i < RowsPerWarp; i++)
        {
            float sum = WarpReduce.Sum(runSum[i]);
            if (position[i] < 0 || sum == 0f) continue; // no row, or the row sees nothing here (warp-uniform)
            int row = task.RowBegin + warp * RowsPerWarp + i;
            int head = kvHead * group + row % group;
            int query = p.QueryOrder[position[i]];
            float inverse = 1f / sum;
            float lse2 = runMax[i] + XMath.Log2(sum);
            if (p.PartialOffsets[query + 1] - p.PartialOffsets[query] == 1)
            {
                long at = ((long)query * p.QueryHeads + head) * dim + lane * dimsPerLane;
                for (int x = 0; x < dimsPerLane; x++) p.Output[at + x] = (Half)(acc[i * MaxDimsPerLane + x] * inverse);
                if (lane == 0 && p.Lse.Length > 0) p.Lse[(long)query * p.QueryHeads + head] = lse2 * Ln2;
            }
            else
            {
                long slot = item.PartialBase + position[i] - item.QueryBegin;
                long at = (slot * p.QueryHeads + head) * dim + lane * dimsPerLane;
                for (int x = 0; x < dimsPerLane; x++) p.PartialOutput[at + x] = acc[i * MaxDimsPerLane + x] * inverse;
                if (lane == 0) p.PartialLse[slot * p.QueryHeads + head] = lse2;
            }
        }
    }
}
