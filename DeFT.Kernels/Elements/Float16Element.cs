using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Elements;

/// <summary>IEEE fp16 elements.</summary>
internal readonly struct Float16Element : IElement
{
    public uint OnePair => 0x3C003C00u;

    public bool HalfPartials => true;

    public uint ExponentMask => 0x7C007C00u;

    public uint ExponentLowBit => 0x04000400u;

    public float Low(int word) => ToFloat((ushort)(word & 0xFFFF));

    public float High(int word) => ToFloat((ushort)((uint)word >> 16));

    public float ToFloat(ushort bits) => (float)Interop.IntAsFloat(bits);

    public uint Pack(float low, float high) => Mma.Pack(low, high);

    public MmaAccumulator Product(MmaAccumulator c, MmaA a, MmaB b) => Mma.Product(c, a, b);
}
