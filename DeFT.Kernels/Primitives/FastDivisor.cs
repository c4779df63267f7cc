namespace DeFT.Kernels.Primitives;

/// <summary>
/// Division of a non-negative <see cref="int"/> by a divisor fixed on the host, as one wide multiply and a shift
/// (Granlund and Montgomery's method): a kernel's <c>/</c> by a runtime value (query heads per KV head, KV heads)
/// compiles to a reciprocal and about 25 dependent instructions, this to an <c>IMAD.WIDE.U32</c> and a 64-bit shift.
/// With l = ⌈log2 d⌉ the multiplier is m = ⌈2^(31+l) / d⌉ (at most 2^32 − 1), and ⌊x·m / 2^(31+l)⌋ = ⌊x / d⌋ for every
/// 0 ≤ x &lt; 2^31: the rounding adds less than x / 2^(31+l) &lt; 1/d to x / d, whose fraction is at most (d−1)/d.
/// </summary>
internal readonly struct FastDivisor
{
    /// <summary>The divisor.</summary>
    public readonly int Divisor;
    private readonly uint multiplier;
    private readonly int shift;

    /// <summary>A divisor of <paramref name="divisor"/> (≥ 1).</summary>
    public FastDivisor(int divisor)
    {
        if (divisor < 1) throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "A divisor must be at least 1.");
        int log2 = 0;
        while ((1L << log2) < divisor) log2++;
        Divisor = divisor;
        shift = 31 + log2;
        multiplier = (uint)(((1UL << shift) + (ulong)divisor - 1) / (ulong)divisor);
    }

    /// <summary>⌊<paramref name="x"/> / <see cref="Divisor"/>⌋ for 0 ≤ <paramref name="x"/> &lt; 2^31.</summary>
    public int Divide(int x) => (int)(((ulong)(uint)x * multiplier) >> shift);

    /// <summary><paramref name="x"/> mod <see cref="Divisor"/> for 0 ≤ <paramref name="x"/> &lt; 2^31.</summary>
    public int Remainder(int x) => x - Divide(x) * Divisor;
}
