using ILGPU.Algorithms;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Eight <see cref="MmaAccumulator"/> fragments side by side: a 16×64 fp32 tile held by a warp, fragment
/// <c>Tj</c> covering columns <c>8j..8j+7</c>. Explicit fields rather than an array: ILGPU does not unroll
/// loops, so an indexed per-lane array would live in local memory; fields accessed by name stay in registers.
/// </summary>
internal struct MmaAccumulators8
{
    /// <summary>Columns 8j..8j+7 for j = 0..7.</summary>
    public MmaAccumulator T0, T1, T2, T3, T4, T5, T6, T7;

    /// <summary>Multiplies the lane's row-g elements by <paramref name="rowLow"/> and row-g+8 elements by <paramref name="rowHigh"/>.</summary>
    public void Scale(float rowLow, float rowHigh)
    {
        T0.Scale(rowLow, rowHigh);
        T1.Scale(rowLow, rowHigh);
        T2.Scale(rowLow, rowHigh);
        T3.Scale(rowLow, rowHigh);
        T4.Scale(rowLow, rowHigh);
        T5.Scale(rowLow, rowHigh);
        T6.Scale(rowLow, rowHigh);
        T7.Scale(rowLow, rowHigh);
    }
}

/// <summary>
/// Four <see cref="MmaAccumulator"/> fragments side by side: a 16×32 fp32 tile held by a warp, fragment
/// <c>Tj</c> covering columns <c>8j..8j+7</c>. Explicit fields for the reason given on <see cref="MmaAccumulators8"/>.
/// </summary>
internal struct MmaAccumulators4
{
    /// <summary>Columns 8j..8j+7 for j = 0..3.</summary>
    public MmaAccumulator T0, T1, T2, T3;

    /// <summary>Maximum of this lane's row-g elements (8 of the row's 32; combine a quad for the row).</summary>
    public readonly float MaxLow() =>
        XMath.Max(XMath.Max(Max(T0.C0, T0.C1), Max(T1.C0, T1.C1)), XMath.Max(Max(T2.C0, T2.C1), Max(T3.C0, T3.C1)));

    /// <summary>Maximum of this lane's row-g+8 elements.</summary>
    public readonly float MaxHigh() =>
        XMath.Max(XMath.Max(Max(T0.C2, T0.C3), Max(T1.C2, T1.C3)), XMath.Max(Max(T2.C2, T2.C3), Max(T3.C2, T3.C3)));

    private static float Max(float a, float b) => XMath.Max(a, b);
}

/// <summary>Two floats moved as one 64-bit access.</summary>
internal struct Float2
{
    /// <summary>Components.</summary>
    public float X, Y;
}

/// <summary>
/// Eight <see cref="MmaA"/> fragments: a 16×128 fp16 A operand held by a warp (k-step <c>Sj</c> = columns
/// <c>16j..16j+15</c>), e.g. a warp's Q rows kept in registers for the whole task. Explicit fields for the reason
/// given on <see cref="MmaAccumulators8"/>.
/// </summary>
internal struct MmaFragmentsA8
{
    /// <summary>Columns 16j..16j+15 for j = 0..7.</summary>
    public MmaA S0, S1, S2, S3, S4, S5, S6, S7;
}
