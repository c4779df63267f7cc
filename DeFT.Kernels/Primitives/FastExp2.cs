using ILGPU.IR.Intrinsics;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// 2^x as the softmax needs it: one <c>ex2.approx.ftz.f32</c> on CUDA (emitted by <see cref="PtxIntrinsics"/>). ILGPU's
/// <c>XMath.Exp2</c> emits the non-flushing form, which ptxas wraps in a range test and two predicated multiplies to
/// produce denormal results; a probability below 2^-126 is zero in the fp16/bf16 P fragment anyway (and negligible
/// beside the row's maximum, which is 1), so the flush costs nothing and saves three instructions per score.
/// </summary>
internal static class FastExp2
{
    /// <summary>Smallest normal float: results below it are flushed to zero, as the PTX instruction does.</summary>
    private const float MinNormal = 1.17549435e-38f;

    /// <summary>2^<paramref name="x"/>, results below the normal range flushed to +0; this body is the CPU path.</summary>
    [IntrinsicImplementation]
    public static float Exp2(float x)
    {
        float result = MathF.Pow(2f, x);
        return result < MinNormal ? 0f : result;
    }
}
