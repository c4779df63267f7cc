using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Attention;

/// <summary>
/// Sixteen head dims of one warp's tensor-core state: the Q A-fragment of those dims (one k-step of S = Q·Kᵀ) and the
/// two O accumulators of dims <c>16j..16j+7</c> and <c>16j+8..16j+15</c> (j = the block). <see cref="HeadFragments"/>
/// holds one per 16 dims of the head and unrolls these methods over it. Shared-memory arguments are this lane's
/// <c>ldmatrix</c> rows for block 0; block j's 16 dims are 8 words further (a constant offset from the row).
/// </summary>
internal struct DimBlock
{
    /// <summary>Q rows of the warp, these dims.</summary>
    public MmaA Q;

    /// <summary>O of dims 16j..16j+7 and 16j+8..16j+15.</summary>
    public MmaAccumulator OLeft, ORight;

    /// <summary>Loads the Q fragment by one <c>ldmatrix.x4</c> from the staged Q rows.</summary>
    public void LoadQ(int block, SharedWindow smem, SharedRow q)
    {
        var r = LdMatrix.X4(smem, q.Plus(8 * block));
        Q = new MmaA { A0 = r.R0, A1 = r.R1, A2 = r.R2, A3 = r.R3 };
    }

    /// <summary>Adds this k-step to the four score fragments of a 32-token tile: two <c>ldmatrix.x4</c> of K, each the B fragments of 16 tokens.</summary>
    public readonly void Score<TElement>(int block, ref MmaAccumulators4 s, SharedWindow smem, SharedRow k, int half)
        where TElement : struct, IElement
    {
        var e = default(TElement);
        var at = k.Plus(8 * block);
        var first = LdMatrix.X4(smem, at);
        s.T0 = e.Product(s.T0, Q, new MmaB { B0 = first.R0, B1 = first.R1 });
        s.T1 = e.Product(s.T1, Q, new MmaB { B0 = first.R2, B1 = first.R3 });
        var second = LdMatrix.X4(smem, at.Plus(half));
        s.T2 = e.Product(s.T2, Q, new MmaB { B0 = second.R0, B1 = second.R1 });
        s.T3 = e.Product(s.T3, Q, new MmaB { B0 = second.R2, B1 = second.R3 });
    }

    /// <summary>Multiplies O's row-g elements by <paramref name="rowLow"/> and row-g+8 elements by <paramref name="rowHigh"/>.</summary>
    public void Rescale(int block, float rowLow, float rowHigh)
    {
        OLeft.Scale(rowLow, rowHigh);
        ORight.Scale(rowLow, rowHigh);
    }

    /// <summary>O += P·V for one k-step of 16 tokens: one <c>ldmatrix.x4.trans</c> of the row-major V tile gives both B fragments.</summary>
    public void AddValues<TElement>(int block, in MmaA p, SharedWindow smem, SharedRow v) where TElement : struct, IElement
    {
        var e = default(TElement);
        var b = LdMatrix.X4Transposed(smem, v.Plus(8 * block));
        OLeft = e.Product(OLeft, p, new MmaB { B0 = b.R0, B1 = b.R1 });
        ORight = e.Product(ORight, p, new MmaB { B0 = b.R2, B1 = b.R3 });
    }

    /// <summary>Writes this lane's elements of one row (<paramref name="upper"/>: row g+8) times <paramref name="inverse"/>.</summary>
    public readonly void Write<TElement>(int block, in RowDestination destination, int t, bool upper,
        float inverse) where TElement : struct, IElement
    {
        int d = 16 * block + 2 * t;
        destination.Write2<TElement>(d, (upper ? OLeft.C2 : OLeft.C0) * inverse, (upper ? OLeft.C3 : OLeft.C1) * inverse);
        destination.Write2<TElement>(d + 8, (upper ? ORight.C2 : ORight.C0) * inverse, (upper ? ORight.C3 : ORight.C1) * inverse);
    }
}
