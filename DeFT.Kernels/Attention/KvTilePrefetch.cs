using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// One thread's share of a KV tile of <see cref="PartialAttentionKernel"/> held in registers: up to four
/// 16-byte chunks of K and of V (chunk i is tile chunk <c>tid + 128·i</c>; D/32 chunks per thread over the
/// group) and, for threads below 32, the mask of token <c>tid</c>. Loading the next tile into registers
/// before computing the current one keeps its global loads in flight during the arithmetic.
/// </summary>
public struct KvTilePrefetch
{
    private Vec16 k0, k1, k2, k3, v0, v1, v2, v3;
    private QueryRange mask;

    /// <summary>Issues the loads of the <paramref name="count"/> tokens starting at plan token <paramref name="tile"/>; tokens past them are zero.</summary>
    public void Load(AttentionParams p, int tile, int count, int tid, int kvHead, int chunksPerRow, int groupSize, int tileTokens)
    {
        mask = tid < count ? p.TokenVisibility[tile + tid] : new QueryRange(0, 0);
        int chunks = tileTokens * chunksPerRow / groupSize;
        k0 = Chunk(p.K, p, tile, count, tid, kvHead, chunksPerRow, out v0);
        if (chunks > 1) k1 = Chunk(p.K, p, tile, count, tid + groupSize, kvHead, chunksPerRow, out v1);
        if (chunks > 2) k2 = Chunk(p.K, p, tile, count, tid + 2 * groupSize, kvHead, chunksPerRow, out v2);
        if (chunks > 3) k3 = Chunk(p.K, p, tile, count, tid + 3 * groupSize, kvHead, chunksPerRow, out v3);
    }

    /// <summary>Writes the held chunks into the shared K tile (padded rows of <paramref name="kStride"/> words), V tile and masks.</summary>
    public readonly void Store(ArrayView<int> kTile, ArrayView<Vec16> vTile, ArrayView<int> maskBegin, ArrayView<int> maskEnd,
        int tid, int chunksPerRow, int groupSize, int tileTokens, int kStride, int vStride16)
    {
        if (tid < tileTokens)
        {
            maskBegin[tid] = mask.Begin;
            maskEnd[tid] = mask.End;
        }
        int chunks = tileTokens * chunksPerRow / groupSize;
        Put(kTile, vTile, k0, v0, tid, chunksPerRow, kStride, vStride16);
        if (chunks > 1) Put(kTile, vTile, k1, v1, tid + groupSize, chunksPerRow, kStride, vStride16);
        if (chunks > 2) Put(kTile, vTile, k2, v2, tid + 2 * groupSize, chunksPerRow, kStride, vStride16);
        if (chunks > 3) Put(kTile, vTile, k3, v3, tid + 3 * groupSize, chunksPerRow, kStride, vStride16);
    }

    private static Vec16 Chunk(ArrayView<ILGPU.Half> keys, AttentionParams p, int tile, int count, int c, int kvHead, int chunksPerRow, out Vec16 value)
    {
        int j = c / chunksPerRow;
        value = default;
        if (j >= count) return default;
        long at = ((long)p.TokenSlots[tile + j] * p.KvHeads + kvHead) * chunksPerRow + (c - j * chunksPerRow);
        value = p.V.Cast<Vec16>()[at];
        return keys.Cast<Vec16>()[at];
    }

    private static void Put(ArrayView<int> kTile, ArrayView<Vec16> vTile, Vec16 k, Vec16 v, int c, int chunksPerRow, int kStride, int vStride16)
    {
        int j = c / chunksPerRow;
        int chunk = c - j * chunksPerRow;
        int kAt = j * kStride + chunk * 4;
        kTile[kAt] = k.X;
        kTile[kAt + 1] = k.Y;
        kTile[kAt + 2] = k.Z;
        kTile[kAt + 3] = k.W;
        vTile[j * vStride16 + chunk] = v;
    }
}
