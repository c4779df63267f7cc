using System.Diagnostics;
using System.Runtime.InteropServices;
using DeFT.Kernels.Attention;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Bench.Measurement;

/// <summary>
/// What the CUDA driver's JIT made of a kernel (the numbers <c>ptxas -v</c> prints): registers per thread, local
/// memory per thread (spills and stack), static shared memory (the dynamic part is the launch's), and how many groups fit on one SM.
/// </summary>
internal readonly record struct CudaFunctionInfo(int Registers, int LocalBytes, int SharedBytes, int GroupsPerSm, double LoadMs)
{
    private const int SharedSizeBytes = 1, LocalSizeBytes = 3, NumRegs = 4;

    /// <summary>Loads <paramref name="kernel"/> on <paramref name="accelerator"/> (a CUDA device) and queries the driver.</summary>
    public static CudaFunctionInfo Of(Accelerator accelerator, Action<AttentionParams> kernel, int groupSize, int dynamicSharedBytes = 0) =>
        Of(accelerator, () => accelerator.LoadKernel(kernel).GetKernel(), groupSize, dynamicSharedBytes);

    /// <summary>As <see cref="Of(Accelerator, Action{AttentionParams}, int, int)"/> for a kernel loaded by <paramref name="load"/> (e.g. with launch bounds).</summary>
    public static CudaFunctionInfo Of(Accelerator accelerator, Func<Kernel> load, int groupSize, int dynamicSharedBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(load);
        var sw = Stopwatch.StartNew();
        var loaded = load();
        double loadMs = sw.Elapsed.TotalMilliseconds;
        var function = ((CudaKernel)loaded).FunctionPtr;
        return new CudaFunctionInfo(Attribute(function, NumRegs), Attribute(function, LocalSizeBytes), Attribute(function, SharedSizeBytes),
            accelerator.EstimateMaxActiveGroupsPerMultiprocessor(loaded, groupSize, dynamicSharedBytes), loadMs);
    }

    private static int Attribute(IntPtr function, int attribute)
    {
        int status = cuFuncGetAttribute(out int value, attribute, function);
        if (status != 0) throw new InvalidOperationException($"cuFuncGetAttribute({attribute}) failed with CUDA error {status}.");
        return value;
    }

    [DllImport("libcuda.so.1")]
    private static extern int cuFuncGetAttribute(out int value, int attribute, IntPtr function);
}
