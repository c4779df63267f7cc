using ILGPU;

namespace DeFT.Kernels.Primitives;

/// <summary>Unpacking fp16 pairs stored in one 32-bit word (low half first, as in memory).</summary>
internal static class HalfBits
{
    /// <summary>The low fp16 of <paramref name="word"/> as float.</summary>
    public static float Low(int word) => (float)Interop.IntAsFloat((ushort)(word & 0xFFFF));

    /// <summary>The high fp16 of <paramref name="word"/> as float.</summary>
    public static float High(int word) => (float)Interop.IntAsFloat((ushort)((uint)word >> 16));
}
