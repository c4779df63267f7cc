using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Elements;

/// <summary>bfloat16 elements (<see cref="BFloat16"/>): unpacked by a shift, multiplied by the bf16 form of <c>mma.sync</c>.</summary>
internal readonly struct BFloat16Element : IElement
{
    public uint OnePair => 0x3F803F80u;

    public bool HalfPartials => false;

    public uint ExponentMask => 0x7F807F80u;

    public uint ExponentLowBit => 0x00800080u;

    public float Low(int word) => BFloat16.ToFloat((ushort)(word & 0xFFFF));

    public float High(int word) => BFloat16.ToFloat((ushort)((uint)word >> 16));

    public float ToFloat(ushort bits) => BFloat16.ToFloat(bits);

    public uint Pack(float low, float high) => Mma.PackBf16(low, high);

    public MmaAccumulator Product(MmaAccumulator c, MmaA a, MmaB b) => Mma.ProductBf16(c, a, b);
}
