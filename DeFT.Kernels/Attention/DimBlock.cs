using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Attention;

/// <summary>
/// Sixteen head dims of one warp's tensor-core state: the Q A-fragment of those dims (one k-step of S = Q·Kᵀ) and the
/// two O accumulators of dims <c>16j..16j+7</c> and <c>16j+8..16j+15</c> (j = the block). <see cref="HeadFragments"/>
/// holds one per 16 dims of the head and unrolls these methods over it. Shared-memory arguments are this lane's
/// <c>ldmatrix</c> row addresses (words) for block 0; block j's 16 dims are 8 words further.
/// </summary>
internal struct DimBlock
{
    /// <summary>Q rows of the warp, these dims.</summary>
    public MmaA Q;

    /// <summary>O of dims 16j..16j+7 and 16j+8..16j+15.</summary>
    public MmaAccumulator OLeft, ORight;

    /// <summary>This lane's two pairs of one partial row (dims 16j+2t, +1 and 16j+8+2t, +1), loaded for a merge.</summary>
    public Float2 PartialLeft, PartialRight;

    /// <summary>Loads the Q fragment by one <c>ldmatrix.x4</c> from the staged Q rows.</summary>
    public void LoadQ(int block, SharedWindow smem, int q)
    {
        var r = LdMatrix.X4(smem, q + 8 * block);
        Q = new MmaA { A0 = r.R0, A1 = r.R1, A2 = r.R2, A3 = r.R3 };
    }

    /// <summary>Adds this k-step to the four score fragments of a 32-token tile: two <c>ldmatrix.x4</c> of K, each the B fragments of 16 tokens.</summary>
    public readonly void Score<TElement>(int block, ref MmaAccumulators4 s, SharedWindow smem, int k, int half)
        where TElement : struct, IElement
    {
        var e = default(TElement);
        int at = k + 8 * block;
        var first = LdMatrix.X4(smem, at);
        s.T0 = e.Product(s.T0, Q, new MmaB { B0 = first.R0, B1 = first.R1 });
        s.T1 = e.Product(s.T1, Q, new MmaB { B0 = first.R2, B1 = first.R3 });
        var second = LdMatrix.X4(smem, at + half);
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
    public void AddValues<TElement>(int block, in MmaA p, SharedWindow smem, int v) where TElement : struct, IElement
    {
        var e = default(TElement);
        var b = LdMatrix.X4Transposed(smem, v + 8 * block);
        OLeft = e.Product(OLeft, p, new MmaB { B0 = b.R0, B1 = b.R1 });
        ORight = e.Product(ORight, p, new MmaB { B0 = b.R2, B1 = b.R3 });
    }

    /// <summary>
    /// Loads this lane's pairs of the partial row starting at pair <paramref name="row"/> into <see cref="PartialLeft"/>
    /// and <see cref="PartialRight"/>, past L1 (other groups wrote it during this launch).
    /// </summary>
    public void LoadPartial<TElement>(int block, AttentionParams p, long row, int t) where TElement : struct, IElement
    {
        long left = row + 8 * block + t;
        long right = left + 4;
        var e = default(TElement);
        if (e.HalfPartials)
        {
            var words = p.PartialOutput.Cast<uint>();
            int l = (int)L2Load.Word(words, left, p.PartialOutputAddress + 4 * left);
            int r = (int)L2Load.Word(words, right, p.PartialOutputAddress + 4 * right);
            PartialLeft = new Float2 { X = e.Low(l), Y = e.High(l) };
            PartialRight = new Float2 { X = e.Low(r), Y = e.High(r) };
        }
        else
        {
            var pairs = p.PartialOutput.Cast<Float2>();
            PartialLeft = L2Load.Pair(pairs, left, p.PartialOutputAddress + 8 * left);
            PartialRight = L2Load.Pair(pairs, right, p.PartialOutputAddress + 8 * right);
        }
    }

    /// <summary>
    /// One merge step on one row's O elements (<paramref name="upper"/>: row g+8): O ← <paramref name="scale"/>·O +
    /// <paramref name="weight"/>·(the loaded partial pairs); <paramref name="scale"/> 0 starts the row afresh (a select,
    /// so a NaN left in O by the partial pass does not survive it).
    /// </summary>
    public void MergePartial(int block, bool upper, float scale, float weight)
    {
        if (upper)
        {
            OLeft.C2 = Step(OLeft.C2, scale, weight, PartialLeft.X);
            OLeft.C3 = Step(OLeft.C3, scale, weight, PartialLeft.Y);
            ORight.C2 = Step(ORight.C2, scale, weight, PartialRight.X);
            ORight.C3 = Step(ORight.C3, scale, weight, PartialRight.Y);
        }
        else
        {
            OLeft.C0 = Step(OLeft.C0, scale, weight, PartialLeft.X);
            OLeft.C1 = Step(OLeft.C1, scale, weight, PartialLeft.Y);
            ORight.C0 = Step(ORight.C0, scale, weight, PartialRight.X);
            ORight.C1 = Step(ORight.C1, scale, weight, PartialRight.Y);
        }
    }

    private static float Step(float o, float scale, float weight, float partial) =>
        (scale == 0f ? 0f : o * scale) + weight * partial;

    /// <summary>Writes this lane's elements of one row (<paramref name="upper"/>: row g+8) times <paramref name="inverse"/>.</summary>
    public readonly void Write<TElement>(int block, AttentionParams p, in RowDestination destination, int t, bool upper,
        float inverse) where TElement : struct, IElement
    {
        int d = 16 * block + 2 * t;
        destination.Write2<TElement>(p, d, (upper ? OLeft.C2 : OLeft.C0) * inverse, (upper ? OLeft.C3 : OLeft.C1) * inverse);
        destination.Write2<TElement>(p, d + 8, (upper ? ORight.C2 : ORight.C0) * inverse, (upper ? ORight.C3 : ORight.C1) * inverse);
    }
}
