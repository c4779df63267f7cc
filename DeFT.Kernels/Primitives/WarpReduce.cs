using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Primitives;

/// <summary>Butterfly reductions over the 32 lanes of a warp; every lane gets the result. All lanes must call.</summary>
internal static class WarpReduce
{
    /// <summary>Maximum over the warp.</summary>
    public static float Max(float value)
    {
        for (int offset = 16; offset > 0; offset >>= 1)
            value = XMath.Max(value, Warp.ShuffleXor(value, offset));
        return value;
    }

    /// <summary>Sum over the warp.</summary>
    public static float Sum(float value)
    {
        for (int offset = 16; offset > 0; offset >>= 1)
            value += Warp.ShuffleXor(value, offset);
        return value;
    }
}
