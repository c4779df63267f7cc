using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Butterfly reductions over aligned segments of a warp's lanes (the whole warp by default); every lane of a segment
/// gets its result. All lanes must call.
/// </summary>
internal static class WarpReduce
{
    /// <summary>Maximum over the <paramref name="width"/> lanes (a power of two up to 32) of this lane's aligned segment.</summary>
    public static float Max(float value, int width = 32)
    {
        for (int offset = width / 2; offset > 0; offset >>= 1)
            value = XMath.Max(value, Warp.ShuffleXor(value, offset));
        return value;
    }

    /// <summary>Sum over the <paramref name="width"/> lanes (a power of two up to 32) of this lane's aligned segment.</summary>
    public static float Sum(float value, int width = 32)
    {
        for (int offset = width / 2; offset > 0; offset >>= 1)
            value += Warp.ShuffleXor(value, offset);
        return value;
    }
}
