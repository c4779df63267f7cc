using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Elements;

/// <summary>
/// The 16-bit element type of Q, K, V and the output, passed to the kernels as a generic struct argument (like the head
/// dimension), so each type compiles to its own instructions: its <c>mma.sync</c> form, its fp32 → pair conversion and
/// its unpacking. Data moves as raw 16-bit words; only these methods know what the bits mean.
/// </summary>
internal interface IElement
{
    /// <summary>Two ones, the B operand that turns an mma into row sums.</summary>
    uint OnePair { get; }

    /// <summary>
    /// True when partial rows (a row's normalised output over one work item, read back by the merge) are stored as pairs
    /// of this element rather than as fp32, halving what the partial kernels write and the merge reads. A partial is a
    /// weighted mean of V rows, so it stays within the element's range; fp16's 11-bit significand adds a rounding below
    /// the output's own, bf16's 8 bits would double the output's error, so bf16 keeps fp32 partials.
    /// </summary>
    bool HalfPartials { get; }

    /// <summary>The exponent field of both elements of a pair: all of it set means ±∞ or NaN.</summary>
    uint ExponentMask { get; }

    /// <summary>The lowest exponent bit of both elements of a pair.</summary>
    uint ExponentLowBit { get; }

    /// <summary>The element in the low 16 bits of <paramref name="word"/>, as float.</summary>
    float Low(int word);

    /// <summary>The element in the high 16 bits of <paramref name="word"/>, as float.</summary>
    float High(int word);

    /// <summary>One element's bits as float.</summary>
    float ToFloat(ushort bits);

    /// <summary>Two floats rounded to nearest into a pair, <paramref name="low"/> in the low 16 bits.</summary>
    uint Pack(float low, float high);

    /// <summary>The tensor-core product <c>A·B + C</c> with A and B of this type (fp32 accumulation).</summary>
    MmaAccumulator Product(MmaAccumulator c, MmaA a, MmaB b);
}
