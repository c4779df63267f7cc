using System.Reflection;
using System.Runtime.InteropServices;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>Creating ILGPU contexts and picking an accelerator the way the kernels expect.</summary>
public static class Accelerators
{
    private static int resolverInstalled;

    /// <summary>
    /// A context with CUDA (if a driver is present) and a CPU device shaped like an NVIDIA GPU (warp 32,
    /// 1024 threads per group), O2 optimisation (128-bit loads), ILGPU.Algorithms math, profiling markers and the
    /// kernels' PTX intrinsics (<see cref="PtxIntrinsics"/>).
    /// </summary>
    public static Context CreateContext()
    {
        InstallCudaResolver();
        var context = Context.Create(builder => builder
            .Cuda()
            .CPU(CPUDeviceKind.Nvidia)
            .EnableAlgorithms()
            .Optimize(OptimizationLevel.O2)
            .Profiling());
        PtxIntrinsics.Register(context);
        return context;
    }

    /// <summary>The first CUDA device if there is one (unless <paramref name="forceCpu"/>), else the CPU device.</summary>
    public static Accelerator CreateBest(Context context, bool forceCpu = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cuda = context.GetCudaDevices();
        if (!forceCpu && cuda.Count > 0) return cuda[0].CreateAccelerator(context);
        return context.GetCPUDevices()[0].CreateAccelerator(context);
    }

    /// <summary>True when <paramref name="accelerator"/> is a real GPU.</summary>
    public static bool IsGpu(Accelerator accelerator) => accelerator.AcceleratorType == AcceleratorType.Cuda;

    // Some systems have only libcuda.so.1; ILGPU looks for libcuda.so and would silently find no device.
    private static void InstallCudaResolver()
    {
        if (Interlocked.Exchange(ref resolverInstalled, 1) != 0) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // ILGPU installed its own resolver (WSL); keep it.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!name.Contains("cuda", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
