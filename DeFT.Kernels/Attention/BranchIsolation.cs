using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// Keeps one branch's non-finite values out of another branch's output on tensor cores. In <c>P·V</c> a token a row
/// does not see has probability exactly 0, but 0 × ∞ and 0 × NaN are NaN, and an mma sums every token of the tile
/// into every row. So before a tile that not every row sees is multiplied, non-finite V elements are replaced by 0
/// in shared memory and their tokens tagged; a row that sees a tagged token is then written as NaN (it did see a
/// non-finite value), while rows that do not see it are untouched. Tiles every row sees skip all of this: there,
/// non-finite values flow into every row, as in the exact result.
/// </summary>
internal static class BranchIsolation
{
    /// <summary>
    /// Zeroes the non-finite fp16 values of the V tile at word <paramref name="vWord"/> (<paramref name="tokens"/> rows
    /// of <paramref name="rowWords"/> words, <paramref name="chunksPerRow"/> 16-byte chunks used) and writes
    /// <paramref name="tag"/> to the poison word of each token that had one. Returns whether this thread found any.
    /// </summary>
    public static bool SanitizeValues(SharedWindow shared, int vWord, int poisonWord, int tokens, int rowWords, int chunksPerRow,
        int tag, int thread, int groupSize)
    {
        bool found = false;
        var chunks = shared.Words.Cast<Vec16>();
        for (int c = thread; c < tokens * chunksPerRow; c += groupSize)
        {
            int token = c / chunksPerRow;
            int at = (vWord + token * rowWords) / 4 + c - token * chunksPerRow;
            var v = chunks[at];
            uint x = Finite((uint)v.X), y = Finite((uint)v.Y), z = Finite((uint)v.Z), w = Finite((uint)v.W);
            if (x != (uint)v.X || y != (uint)v.Y || z != (uint)v.Z || w != (uint)v.W)
            {
                chunks[at] = new Vec16 { X = (int)x, Y = (int)y, Z = (int)z, W = (int)w };
                shared.Words[poisonWord + token] = (uint)tag;
                found = true;
            }
        }
        return found;
    }

    // The fp16 pair with every ±∞ or NaN half (all exponent bits set) replaced by +0.
    private static uint Finite(uint pair)
    {
        uint low = (pair & 0x7C00u) == 0x7C00u ? 0u : pair & 0xFFFFu;
        uint high = (pair & 0x7C000000u) == 0x7C000000u ? 0u : pair & 0xFFFF0000u;
        return low | high;
    }
}
