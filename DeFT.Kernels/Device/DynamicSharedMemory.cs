using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>
/// Raises a loaded CUDA kernel's limit on dynamic shared memory (<c>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES</c>),
/// which ILGPU never sets: a group asking for more than 48 KB fails to launch ("invalid argument") until it is raised.
/// With it raised, ILGPU's own launcher runs such groups (checked on an H200 with the bench's shared-memory probe).
/// </summary>
internal static class DynamicSharedMemory
{
    private const int MaxDynamicSharedSizeBytes = 8; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES

    /// <summary>Lets <paramref name="kernel"/> launch with up to <paramref name="bytes"/> of dynamic shared memory.</summary>
    /// <exception cref="NotSupportedException">The driver refused (the device has less shared memory per group).</exception>
    public static void Allow(Kernel kernel, int bytes)
    {
        int status = cuFuncSetAttribute(((CudaKernel)kernel).FunctionPtr, MaxDynamicSharedSizeBytes, bytes);
        if (status != 0)
            throw new NotSupportedException($"The CUDA driver refused {bytes} B of dynamic shared memory per group (error {status}).");
    }

    [DllImport("libcuda.so.1")]
    private static extern int cuFuncSetAttribute(IntPtr function, int attribute, int value);
}
