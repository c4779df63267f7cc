using DeFT.Kernels;

namespace DeFT.Bench.Measurement;

/// <summary>Host conversions between float and the raw 16-bit elements (fp16 or bf16) that the bench uploads and reads back.</summary>
internal static class ElementBits
{
    /// <summary>The element nearest to <paramref name="value"/>, as bits.</summary>
    public static ushort From(float value, ElementType elements) =>
        elements == ElementType.BFloat16 ? BFloat16.Round(value) : BitConverter.HalfToUInt16Bits((System.Half)value);

    /// <summary>The float of element bits <paramref name="bits"/> (exact).</summary>
    public static float ToFloat(ushort bits, ElementType elements) =>
        elements == ElementType.BFloat16 ? BFloat16.ToFloat(bits) : (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary><paramref name="value"/> rounded to the element type.</summary>
    public static float Round(float value, ElementType elements) => ToFloat(From(value, elements), elements);
}
