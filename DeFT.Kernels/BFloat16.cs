using ILGPU;

namespace DeFT.Kernels;

/// <summary>
/// A bfloat16 value: the upper 16 bits of an IEEE fp32 (sign, 8 exponent bits, 7 stored significand bits). .NET has no
/// bf16 type, so this is its storage: arrays and device views of it carry bf16 data for Q, K, V and the output.
/// Conversions from float round to nearest, ties to even, as the GPU's <c>cvt.rn.bf16</c> does; NaN stays NaN.
/// </summary>
public readonly record struct BFloat16(ushort Bits)
{
    /// <summary>The bf16 nearest to <paramref name="value"/> (ties to even).</summary>
    public static BFloat16 FromFloat(float value) => new(Round(value));

    /// <summary>The bits of the bf16 nearest to <paramref name="value"/> (ties to even; a NaN gives a quiet NaN of the same sign).</summary>
    public static ushort Round(float value)
    {
        uint bits = (uint)Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((bits >> 16) | 0x0040u);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>The float of bf16 bits <paramref name="bits"/> (exact).</summary>
    public static float ToFloat(ushort bits) => Interop.IntAsFloat((uint)bits << 16);

    /// <summary>The value as float (exact).</summary>
    public static explicit operator float(BFloat16 value) => ToFloat(value.Bits);

    /// <summary>The bf16 nearest to <paramref name="value"/>.</summary>
    public static explicit operator BFloat16(float value) => FromFloat(value);

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
