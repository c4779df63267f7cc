using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Checks <see cref="Mma.Product"/> against a plain matrix product: on a GPU the real <c>mma.sync</c>, on the
/// CPU accelerator its warp-shuffle emulation. The probe kernel builds the fragments from row-major matrices with
/// the PTX ISA's m16n8k16 layouts, written out independently of the attention kernel, so a wrong layout shows.
/// </summary>
public static class MmaCheck
{
    /// <summary>Warps (one 16×16·16×8 product each) per check.</summary>
    public const int Warps = 4;

    /// <summary>Max |D − (A·B + C)| over <see cref="Warps"/> random products (fp16 A, B in ±2; fp32 C).</summary>
    public static double Run(Accelerator accelerator, int seed = 7)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        var rng = new Random(seed);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(Half)(rng.NextSingle() * 4 - 2)).ToArray();
        float[] a = Random(Warps * 256), b = Random(Warps * 128), c = Random(Warps * 128);
        PtxIntrinsics.Register(accelerator.Context);
        var kernel = accelerator.LoadKernel<ArrayView<Half>, ArrayView<Half>, ArrayView<float>, ArrayView<float>>(Kernel);
        using var aBuffer = accelerator.Allocate1D(HalfArray.From(a));
        using var bBuffer = accelerator.Allocate1D(HalfArray.From(b));
        using var cBuffer = accelerator.Allocate1D(c);
        using var dBuffer = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, c.Length).ToArray());
        kernel(accelerator.DefaultStream, new KernelConfig(2, Warps / 2 * 32), aBuffer.View, bBuffer.View, cBuffer.View, dBuffer.View);
        accelerator.Synchronize();
        var d = dBuffer.GetAsArray1D();
        double maxError = 0;
        for (int w = 0; w < Warps; w++)
            for (int i = 0; i < 16; i++)
                for (int j = 0; j < 8; j++)
                {
                    double expected = c[w * 128 + i * 8 + j];
                    for (int k = 0; k < 16; k++) expected += (double)a[w * 256 + i * 16 + k] * b[w * 128 + k * 8 + j];
                    double error = Math.Abs(d[w * 128 + i * 8 + j] - expected);
                    maxError = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(maxError, error);
                }
        return maxError;
    }

    /// <summary>One product per warp: D = A·B + C for row-major A 16×16, B 16×8 (k × n), C and D 16×8.</summary>
    public static void Kernel(ArrayView<Half> a, ArrayView<Half> b, ArrayView<float> c, ArrayView<float> d)
    {
        int warp = Grid.IdxX * (Group.DimX / 32) + Group.IdxX / 32;
        int lane = Group.IdxX % 32;
        int g = lane / 4, t = lane % 4;
        int ao = warp * 256, bo = warp * 128, co = warp * 128;
        var fa = new MmaA
        {
            A0 = Pair(a[ao + g * 16 + 2 * t], a[ao + g * 16 + 2 * t + 1]),
            A1 = Pair(a[ao + (g + 8) * 16 + 2 * t], a[ao + (g + 8) * 16 + 2 * t + 1]),
            A2 = Pair(a[ao + g * 16 + 2 * t + 8], a[ao + g * 16 + 2 * t + 9]),
            A3 = Pair(a[ao + (g + 8) * 16 + 2 * t + 8], a[ao + (g + 8) * 16 + 2 * t + 9]),
        };
        var fb = new MmaB
        {
            B0 = Pair(b[bo + 2 * t * 8 + g], b[bo + (2 * t + 1) * 8 + g]),
            B1 = Pair(b[bo + (2 * t + 8) * 8 + g], b[bo + (2 * t + 9) * 8 + g]),
        };
        var acc = new MmaAccumulator
        {
            C0 = c[co + g * 8 + 2 * t], C1 = c[co + g * 8 + 2 * t + 1],
            C2 = c[co + (g + 8) * 8 + 2 * t], C3 = c[co + (g + 8) * 8 + 2 * t + 1],
        };
        acc = Mma.Product(acc, fa, fb);
        d[co + g * 8 + 2 * t] = acc.C0;
        d[co + g * 8 + 2 * t + 1] = acc.C1;
        d[co + (g + 8) * 8 + 2 * t] = acc.C2;
        d[co + (g + 8) * 8 + 2 * t + 1] = acc.C3;
    }

    private static uint Pair(Half low, Half high) => Interop.FloatAsInt(low) | ((uint)Interop.FloatAsInt(high) << 16);
}
