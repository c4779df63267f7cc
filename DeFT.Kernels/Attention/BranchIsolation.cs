using DeFT.Kernels.Elements;
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
    /// Zeroes the non-finite values of the V tile at word <paramref name="vWord"/> (<paramref name="tokens"/> rows
    /// of <paramref name="rowWords"/> words, <paramref name="chunksPerRow"/> 16-byte chunks used) and writes
    /// <paramref name="tag"/> to the poison word of each token that had one. Returns whether this thread found any.
    /// </summary>
    public static bool SanitizeValues<TElement>(SharedWindow shared, int vWord, int poisonWord, int tokens, int rowWords,
        int chunksPerRow, int tag, int thread, int groupSize) where TElement : struct, IElement
    {
        bool found = false;
        var chunks = shared.Words.Cast<Vec16>();
        for (int c = thread; c < tokens * chunksPerRow; c += groupSize)
        {
            int token = c / chunksPerRow;
            int at = (vWord + token * rowWords) / 4 + c - token * chunksPerRow;
            var v = chunks[at];
            uint x = NonFinite<TElement>((uint)v.X), y = NonFinite<TElement>((uint)v.Y);
            uint z = NonFinite<TElement>((uint)v.Z), w = NonFinite<TElement>((uint)v.W);
            if ((x | y | z | w) != 0u)
            {
                chunks[at] = new Vec16
                {
                    X = (int)Finite((uint)v.X, x), Y = (int)Finite((uint)v.Y, y),
                    Z = (int)Finite((uint)v.Z, z), W = (int)Finite((uint)v.W, w),
                };
                shared.Words[poisonWord + token] = (uint)tag;
                found = true;
            }
        }
        return found;
    }

    // Bit 15 of each half set where that element is ±∞ or NaN: adding the lowest exponent bit to an all-ones exponent
    // carries into the sign position, and no smaller exponent reaches it (nor crosses into the other half).
    private static uint NonFinite<TElement>(uint pair) where TElement : struct, IElement
    {
        var e = default(TElement);
        return ((pair & e.ExponentMask) + e.ExponentLowBit) & 0x80008000u;
    }

    // The pair with the halves flagged in `nonFinite` (bit 15 of each) replaced by +0.
    private static uint Finite(uint pair, uint nonFinite) => pair & ~((nonFinite >> 15) * 0xFFFFu);
}
