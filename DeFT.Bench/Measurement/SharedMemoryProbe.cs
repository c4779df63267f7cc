using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Whether ILGPU's launcher can run a group with more than 48 KB of dynamic shared memory once the function's
/// <c>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES</c> is raised through the driver (ILGPU never sets it). A kernel
/// fills the whole window, every thread reads back a word another thread wrote at the far end, and the host checks.
/// </summary>
public static class SharedMemoryProbe
{
    private const int GroupSize = 128;

    /// <summary>Launches with <paramref name="bytes"/> of dynamic shared memory, after raising the limit when <paramref name="raise"/>; returns what happened.</summary>
    public static string Try(CudaAccelerator cuda, int bytes, bool raise)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var kernel = LaunchBounds.Load(cuda, typeof(SharedMemoryProbe).GetMethod(nameof(Kernel))!, GroupSize, 1);
        if (raise)
        {
            try
            {
                DynamicSharedMemory.Allow(kernel, bytes);
            }
            catch (NotSupportedException e)
            {
                return e.Message;
            }
        }
        var launch = kernel.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, ArrayView<int>>>();
        using var output = cuda.Allocate1D<int>(GroupSize);
        try
        {
            launch(cuda.DefaultStream, new KernelConfig(1, GroupSize, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)), output.View);
            cuda.Synchronize();
        }
        catch (Exception e)
        {
            return $"launch failed: {e.GetType().Name}: {e.Message}";
        }
        var got = output.GetAsArray1D();
        int words = bytes / 4;
        bool ok = Enumerable.Range(0, GroupSize).All(t => got[t] == Pattern(words - 1 - t));
        return ok ? $"ran: all {GroupSize} threads read back their word across {bytes / 1024} KB" : "ran, but read back wrong values";
    }

    /// <summary>Fills the dynamic window with a pattern, then thread t reads word (n − 1 − t).</summary>
    public static void Kernel(ArrayView<int> output)
    {
        var shared = SharedMemory.GetDynamic<int>();
        int n = (int)shared.Length;
        for (int i = Group.IdxX; i < n; i += Group.DimX) shared[i] = Pattern(i);
        Group.Barrier();
        output[Group.IdxX] = shared[n - 1 - Group.IdxX];
    }

    // The value word i holds: written by the kernel, checked by the host.
    private static int Pattern(int index) => index * 7 + 3;
}
