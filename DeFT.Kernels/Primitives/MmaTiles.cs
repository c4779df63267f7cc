using ILGPU.Algorithms;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Four <see cref="MmaAccumulator"/> fragments side by side: a 16×32 fp32 tile held by a warp, fragment
/// <c>Tj</c> covering columns <c>8j..8j+7</c>. Explicit fields rather than an array: ILGPU does not unroll loops, so an
/// indexed per-lane array would live in local memory; fields accessed by name stay in registers.
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

    /// <summary>Soft-caps every element: x → <paramref name="outputScale"/> · tanh(x · <paramref name="inputScale"/>).</summary>
    public void SoftCap(float inputScale, float outputScale)
    {
        T0.SoftCap(inputScale, outputScale);
        T1.SoftCap(inputScale, outputScale);
        T2.SoftCap(inputScale, outputScale);
        T3.SoftCap(inputScale, outputScale);
    }

    private static float Max(float a, float b) => XMath.Max(a, b);
}

/// <summary>Two floats moved as one 64-bit access.</summary>
internal struct Float2
{
    /// <summary>Components.</summary>
    public float X, Y;
}
