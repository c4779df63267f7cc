using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>
/// Device allocations that fail with an <see cref="InsufficientMemoryException"/> saying how much was asked for and how
/// much the device has: checked against <see cref="Accelerator.MemorySize"/> first, and ILGPU's own out-of-memory errors
/// (a <see cref="CudaException"/> on CUDA, an <see cref="OutOfMemoryException"/> on the CPU) rethrown the same way.
/// </summary>
internal static class DeviceMemory
{
    /// <summary>Throws when <paramref name="bytes"/> for <paramref name="purpose"/> exceed the device's whole memory.</summary>
    public static void CheckFits(Accelerator accelerator, Int128 bytes, string purpose)
    {
        if (bytes > accelerator.MemorySize) throw TooLarge(accelerator, bytes, purpose, inner: null);
    }

    /// <summary>Allocates <paramref name="length"/> elements for <paramref name="purpose"/>.</summary>
    public static MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(Accelerator accelerator, long length, string purpose) where T : unmanaged
    {
        Int128 bytes = (Int128)length * ArrayView<T>.ElementSize;
        CheckFits(accelerator, bytes, purpose);
        try
        {
            return accelerator.Allocate1D<T>(length);
        }
        catch (OutOfMemoryException e)
        {
            throw TooLarge(accelerator, bytes, purpose, e);
        }
        catch (CudaException e) when (e.Error == nameof(CudaError.CUDA_ERROR_OUT_OF_MEMORY))
        {
            throw TooLarge(accelerator, bytes, purpose, e);
        }
    }

    private static InsufficientMemoryException TooLarge(Accelerator accelerator, Int128 bytes, string purpose, Exception? inner) =>
        new($"{purpose} needs {bytes} bytes ({Gib(bytes)}), but the device ({accelerator.Name}) has {accelerator.MemorySize} bytes " +
            $"({Gib(accelerator.MemorySize)}) in all" +
            (inner is null ? "." : $", less of it free: the allocation failed ({inner.Message})."), inner);

    private static string Gib(Int128 bytes) => $"{(double)bytes / (1L << 30):0.#} GiB";
}
