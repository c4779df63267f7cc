using DeFT.Kernels.Elements;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.IR.Intrinsics;
using Half = ILGPU.Half;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// The C/D fragment of <c>mma.m16n8k16</c> with fp32 accumulators: a 16×8 tile spread over a warp. For lane l,
/// g = l/4 and t = l%4: <see cref="C0"/>, <see cref="C1"/> are (row g, columns 2t, 2t+1) and
/// <see cref="C2"/>, <see cref="C3"/> are (row g+8, columns 2t, 2t+1).
/// </summary>
internal struct MmaAccumulator
{
    /// <summary>Row g, column 2t.</summary>
    public float C0;
    /// <summary>Row g, column 2t+1.</summary>
    public float C1;
    /// <summary>Row g+8, column 2t.</summary>
    public float C2;
    /// <summary>Row g+8, column 2t+1.</summary>
    public float C3;

    /// <summary>Multiplies the row-g elements by <paramref name="rowLow"/> and the row-g+8 elements by <paramref name="rowHigh"/>.</summary>
    public void Scale(float rowLow, float rowHigh)
    {
        C0 *= rowLow;
        C1 *= rowLow;
        C2 *= rowHigh;
        C3 *= rowHigh;
    }

    /// <summary>Soft-caps the four elements: x → <paramref name="outputScale"/> · tanh(x · <paramref name="inputScale"/>).</summary>
    public void SoftCap(float inputScale, float outputScale)
    {
        C0 = outputScale * XMath.Tanh(C0 * inputScale);
        C1 = outputScale * XMath.Tanh(C1 * inputScale);
        C2 = outputScale * XMath.Tanh(C2 * inputScale);
        C3 = outputScale * XMath.Tanh(C3 * inputScale);
    }
}

/// <summary>
/// The A fragment of <c>mma.m16n8k16</c> (16×16 fp16, row-major), two fp16 per register with the lower column
/// in the lower 16 bits. For lane l, g = l/4 and t = l%4: <see cref="A0"/> = (row g, columns 2t, 2t+1),
/// <see cref="A1"/> = (row g+8, same columns), <see cref="A2"/> = (row g, columns 2t+8, 2t+9),
/// <see cref="A3"/> = (row g+8, columns 2t+8, 2t+9).
/// </summary>
internal struct MmaA
{
    /// <summary>Row g, columns 2t, 2t+1.</summary>
    public uint A0;
    /// <summary>Row g+8, columns 2t, 2t+1.</summary>
    public uint A1;
    /// <summary>Row g, columns 2t+8, 2t+9.</summary>
    public uint A2;
    /// <summary>Row g+8, columns 2t+8, 2t+9.</summary>
    public uint A3;
}

/// <summary>
/// The B fragment of <c>mma.m16n8k16</c> (16×8 fp16, "col"): for lane l, g = l/4, t = l%4, <see cref="B0"/> =
/// (rows k = 2t, 2t+1; column n = g), <see cref="B1"/> = (rows 2t+8, 2t+9; column g); the lower k in the lower
/// 16 bits. Eight bytes, so a shared-memory layout that keeps the two words adjacent loads it with one 64-bit load.
/// </summary>
internal struct MmaB
{
    /// <summary>Rows 2t, 2t+1 of column g.</summary>
    public uint B0;
    /// <summary>Rows 2t+8, 2t+9 of column g.</summary>
    public uint B1;
}

/// <summary>
/// Warp-level tensor-core product <c>D = A·B + C</c> (<c>mma.sync.m16n8k16</c>, fp16 or bf16 inputs, fp32
/// accumulation). All 32 lanes of the warp must call it together (it is a warp-synchronous instruction). Kernels reach
/// these through their element type (<see cref="IElement"/>).
/// </summary>
internal static class Mma
{
    /// <summary>
    /// Packs two floats into an fp16 pair (round to nearest), <paramref name="low"/> in the lower 16 bits: on CUDA one
    /// <c>cvt.rn.f16x2.f32</c> emitted by <see cref="PtxIntrinsics"/>; this body is the CPU path.
    /// </summary>
    [IntrinsicImplementation]
    public static uint Pack(float low, float high) =>
        Interop.FloatAsInt((Half)low) | ((uint)Interop.FloatAsInt((Half)high) << 16);

    /// <summary>
    /// <c>A·B + C</c>: on CUDA the <c>mma.sync</c> that <see cref="PtxIntrinsics"/> emits; this body is the CPU
    /// emulation. Each lane gathers its quad's A rows and B column (two xor-shuffles), then the two B columns it needs
    /// (two shuffles), so tests on the CPU exercise the fragment layouts the kernels rely on.
    /// </summary>
    [IntrinsicImplementation]
    public static MmaAccumulator Product(MmaAccumulator c, MmaA a, MmaB b) => Emulate<Float16Element>(c, a, b);

    /// <summary>Packs two floats into a bf16 pair (round to nearest even): on CUDA one <c>cvt.rn.bf16x2.f32</c>.</summary>
    [IntrinsicImplementation]
    public static uint PackBf16(float low, float high) => BFloat16.Round(low) | ((uint)BFloat16.Round(high) << 16);

    /// <summary><c>A·B + C</c> with bf16 A and B: on CUDA the bf16 <c>mma.sync</c>; this body is the CPU emulation.</summary>
    [IntrinsicImplementation]
    public static MmaAccumulator ProductBf16(MmaAccumulator c, MmaA a, MmaB b) => Emulate<BFloat16Element>(c, a, b);

    private static MmaAccumulator Emulate<TElement>(MmaAccumulator c, MmaA a, MmaB b) where TElement : struct, IElement
    {
        int t = Warp.LaneIdx & 3;
        var mine = new Lane { A0 = a.A0, A1 = a.A1, A2 = a.A2, A3 = a.A3, B0 = b.B0, B1 = b.B1 };
        var other = Warp.ShuffleXor(mine, 1);
        var pair = (t & 1) == 0 ? new LanePair { L0 = mine, L1 = other } : new LanePair { L0 = other, L1 = mine };
        var otherPair = Warp.ShuffleXor(pair, 2);
        var quad = (t & 2) == 0 ? new Quad { P0 = pair, P1 = otherPair } : new Quad { P0 = otherPair, P1 = pair };
        var column = new Column
        {
            B00 = quad.P0.L0.B0, B01 = quad.P0.L0.B1,
            B10 = quad.P0.L1.B0, B11 = quad.P0.L1.B1,
            B20 = quad.P1.L0.B0, B21 = quad.P1.L0.B1,
            B30 = quad.P1.L1.B0, B31 = quad.P1.L1.B1,
        };
        // This lane's output columns are 2t and 2t+1: B columns held by quads 2t and 2t+1.
        var left = Warp.Shuffle(column, 8 * t);
        var right = Warp.Shuffle(column, 8 * t + 4);
        Lane q0 = quad.P0.L0, q1 = quad.P0.L1, q2 = quad.P1.L0, q3 = quad.P1.L1;
        c.C0 += Dot<TElement>(q0.A0, q0.A2, left.B00, left.B01) + Dot<TElement>(q1.A0, q1.A2, left.B10, left.B11)
            + Dot<TElement>(q2.A0, q2.A2, left.B20, left.B21) + Dot<TElement>(q3.A0, q3.A2, left.B30, left.B31);
        c.C1 += Dot<TElement>(q0.A0, q0.A2, right.B00, right.B01) + Dot<TElement>(q1.A0, q1.A2, right.B10, right.B11)
            + Dot<TElement>(q2.A0, q2.A2, right.B20, right.B21) + Dot<TElement>(q3.A0, q3.A2, right.B30, right.B31);
        c.C2 += Dot<TElement>(q0.A1, q0.A3, left.B00, left.B01) + Dot<TElement>(q1.A1, q1.A3, left.B10, left.B11)
            + Dot<TElement>(q2.A1, q2.A3, left.B20, left.B21) + Dot<TElement>(q3.A1, q3.A3, left.B30, left.B31);
        c.C3 += Dot<TElement>(q0.A1, q0.A3, right.B00, right.B01) + Dot<TElement>(q1.A1, q1.A3, right.B10, right.B11)
            + Dot<TElement>(q2.A1, q2.A3, right.B20, right.B21) + Dot<TElement>(q3.A1, q3.A3, right.B30, right.B31);
        return c;
    }

    // One lane's fragments, and the fragments of a quad (the four lanes of one g), in lane order.
    private struct Lane
    {
        public uint A0, A1, A2, A3, B0, B1;
    }

    private struct LanePair
    {
        public Lane L0, L1;
    }

    private struct Quad
    {
        public LanePair P0, P1;
    }

    // Column g of B as held by quad g: (b0, b1) of its lanes t = 0..3.
    private struct Column
    {
        public uint B00, B01, B10, B11, B20, B21, B30, B31;
    }

    // Quad lane t' contributes k = 2t', 2t'+1 (from aLow, bLow) and k = 2t'+8, 2t'+9 (from aHigh, bHigh).
    private static float Dot<TElement>(uint aLow, uint aHigh, uint bLow, uint bHigh) where TElement : struct, IElement
    {
        var e = default(TElement);
        return e.Low((int)aLow) * e.Low((int)bLow) + e.High((int)aLow) * e.High((int)bLow)
            + e.Low((int)aHigh) * e.Low((int)bHigh) + e.High((int)aHigh) * e.High((int)bHigh);
    }
}
