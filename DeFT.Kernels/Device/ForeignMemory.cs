using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>
/// Views of device memory the caller owns and ILGPU did not allocate (an engine's K/V tensors, e.g. a
/// <c>data_ptr</c>): no copy, and never freed here. On the CPU accelerator ILGPU wraps a host pointer itself
/// (<see cref="CPUMemoryBuffer.Create(Accelerator, IntPtr, long, int)"/>); on CUDA a <see cref="CudaPointerBuffer"/>
/// stands in for the allocation, its copies and fills done by ILGPU's own CUDA helpers.
/// </summary>
internal static class ForeignMemory
{
    /// <summary><paramref name="length"/> elements of <typeparamref name="T"/> at <paramref name="pointer"/> on <paramref name="accelerator"/>.</summary>
    /// <exception cref="ArgumentException">The pointer is null, the length negative, or the accelerator neither CUDA nor CPU.</exception>
    public static ArrayView<T> View<T>(Accelerator accelerator, IntPtr pointer, long length, string name) where T : unmanaged
    {
        if (pointer == IntPtr.Zero) throw new ArgumentException($"{name} is a null pointer.", name);
        if (length < 0) throw new ArgumentOutOfRangeException(name, length, "A negative number of elements.");
        int size = ArrayView<T>.ElementSize;
        MemoryBuffer buffer = accelerator switch
        {
            CudaAccelerator => new CudaPointerBuffer(accelerator, pointer, length, size),
            CPUAccelerator => CPUMemoryBuffer.Create(accelerator, pointer, length, size),
            _ => throw new ArgumentException($"Wrapping a device pointer is supported on CUDA and CPU accelerators, not {accelerator.AcceleratorType}.", name),
        };
        return new ArrayView<T>(buffer, 0, length);
    }

    /// <summary>A CUDA allocation made by someone else: ILGPU's buffer contract over a raw device pointer.</summary>
    private sealed class CudaPointerBuffer : MemoryBuffer
    {
        public CudaPointerBuffer(Accelerator accelerator, IntPtr pointer, long length, int elementSize)
            : base(accelerator, length, elementSize) => NativePtr = pointer;

        protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaMemSet(stream as CudaStream, value, targetView);

        protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaCopy(stream as CudaStream, sourceView, targetView);

        protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
            CudaMemoryBuffer.CudaCopy(stream as CudaStream, sourceView, targetView);

        // The memory belongs to the caller.
        protected override void DisposeAcceleratorObject(bool disposing)
        {
        }
    }
}
