using DeFT.Core.Planning;
using ILGPU.IR.Intrinsics;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Double multiply and add that round as .NET does, one rounding each: <c>mul.rn.f64</c> and <c>add.rn.f64</c> on CUDA
/// (emitted by <see cref="PtxIntrinsics"/>). ILGPU emits <c>mul.f64</c> and <c>add.f64</c>, which the PTX rules let ptxas
/// fuse into one <c>fma</c> (a single rounding), so a cost computed on the device could differ in its last bit from the
/// host's; the explicit rounding forbids the fusion. The C# bodies are the CPU path.
/// </summary>
internal static class RoundedDouble
{
    /// <summary><paramref name="a"/> · <paramref name="b"/>, rounded to nearest.</summary>
    [IntrinsicImplementation]
    public static double Multiply(double a, double b) => a * b;

    /// <summary><paramref name="a"/> + <paramref name="b"/>, rounded to nearest.</summary>
    [IntrinsicImplementation]
    public static double Add(double a, double b) => a + b;
}

/// <summary><see cref="RoundedDouble"/> as the <see cref="IRoundedArithmetic"/> that shared host code is instantiated with in kernels.</summary>
internal readonly struct DeviceArithmetic : IRoundedArithmetic
{
    public double Multiply(double a, double b) => RoundedDouble.Multiply(a, b);

    public double Add(double a, double b) => RoundedDouble.Add(a, b);
}
