using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Butterfly reductions over the 32 lanes of a warp; every lane gets the result. All lanes must call. Written out: ILGPU
/// does not unroll the loop, whose counter and branch cost more than the shuffles.
/// </summary>
internal static class WarpReduce
{
    /// <summary>Maximum over the warp.</summary>
    public static float Max(float value)
    {
        value = XMath.Max(value, Warp.ShuffleXor(value, 16));
        value = XMath.Max(value, Warp.ShuffleXor(value, 8));
        value = XMath.Max(value, Warp.ShuffleXor(value, 4));
        value = XMath.Max(value, Warp.ShuffleXor(value, 2));
        return XMath.Max(value, Warp.ShuffleXor(value, 1));
    }

    /// <summary>Sum over the warp.</summary>
    public static float Sum(float value)
    {
        value += Warp.ShuffleXor(value, 16);
        value += Warp.ShuffleXor(value, 8);
        value += Warp.ShuffleXor(value, 4);
        value += Warp.ShuffleXor(value, 2);
        return value + Warp.ShuffleXor(value, 1);
    }
}
