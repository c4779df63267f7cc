using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Measures the fp16 tensor-core rate with a loop of <c>mma.sync.m16n8k16</c> (fp32 accumulate) per warp.
/// Grid: 4 groups per SM of 256 threads; every warp runs <see cref="Iterations"/> × 4 independent MMAs
/// (4096 FLOP each). No memory traffic but one store per thread so nothing is optimised away.
/// </summary>
public static class TensorCoreProbe
{
    private const int Iterations = 4096;
    private const int GroupSize = 256;

    /// <summary>TFLOP/s measured on <paramref name="accelerator"/>, or null where inline PTX is unavailable (CPU).</summary>
    public static double? Measure(Accelerator accelerator)
    {
        if (accelerator.AcceleratorType != AcceleratorType.Cuda) return null;
        PtxIntrinsics.Register(accelerator.Context);
        var kernel = accelerator.LoadKernel<ArrayView<float>>(Kernel);
        int groups = accelerator.NumMultiprocessors * 4;
        using var sink = accelerator.Allocate1D<float>(groups * GroupSize);
        var config = new KernelConfig(groups, GroupSize);
        var times = DeviceTimer.Measure(accelerator.DefaultStream, s => kernel(s, config, sink.View), warmups: 3, reps: 10);
        double flops = (double)groups * (GroupSize / 32) * Iterations * 4 * 4096;
        return flops / (Percentiles.Of(times).Median * 1e-6) / 1e12;
    }

    private static void Kernel(ArrayView<float> sink)
    {
        uint seed = (uint)Grid.GlobalIndex.X;
        Input<uint> a0 = seed, a1 = seed + 1, a2 = seed + 2, a3 = seed + 3, b0 = seed * 3, b1 = seed * 5;
        Ref<float> c0 = 0f, c1 = 0f, c2 = 0f, c3 = 0f, d0 = 0f, d1 = 0f, d2 = 0f, d3 = 0f;
        Ref<float> e0 = 0f, e1 = 0f, e2 = 0f, e3 = 0f, f0 = 0f, f1 = 0f, f2 = 0f, f3 = 0f;
        for (int i = 0; i < Iterations; i++)
        {
            CudaAsm.EmitRef(Mma, ref c0, ref c1, ref c2, ref c3, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1);
            CudaAsm.EmitRef(Mma, ref d0, ref d1, ref d2, ref d3, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1);
            CudaAsm.EmitRef(Mma, ref e0, ref e1, ref e2, ref e3, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1);
            CudaAsm.EmitRef(Mma, ref f0, ref f1, ref f2, ref f3, ref a0, ref a1, ref a2, ref a3, ref b0, ref b1);
        }
        sink[Grid.GlobalIndex.X] = c0.Value + c1.Value + c2.Value + c3.Value + d0.Value + d1.Value + d2.Value + d3.Value
            + e0.Value + e1.Value + e2.Value + e3.Value + f0.Value + f1.Value + f2.Value + f3.Value;
    }

    private const string Mma =
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};";
}
