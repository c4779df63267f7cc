using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// A device array that grows by itself and shrinks only when asked (<see cref="Trim"/>): uploads reuse it while they fit,
/// so steady-state decode steps allocate nothing. <see cref="View"/> covers the last upload's length.
/// </summary>
internal sealed class DeviceBuffer<T> : IDeviceBuffer where T : unmanaged
{
    private readonly Accelerator accelerator;
    private readonly string purpose;
    private MemoryBuffer1D<T, Stride1D.Dense>? buffer;

    /// <summary>An empty buffer; <paramref name="purpose"/> names it in out-of-memory messages.</summary>
    public DeviceBuffer(Accelerator accelerator, string purpose)
    {
        this.accelerator = accelerator;
        this.purpose = purpose;
    }

    public ArrayView<T> View { get; private set; }

    /// <summary>
    /// Makes room for <paramref name="length"/> elements (contents are undefined after a grow). A failed grow leaves the
    /// buffer empty, never a view of freed memory.
    /// </summary>
    public void EnsureLength(long length)
    {
        if (buffer is not null && View.Length == length) return; // a decode step sizes dozens of buffers, most unchanged
        if (buffer is null || buffer.Length < length)
        {
            Release();
            buffer = DeviceMemory.Allocate<T>(accelerator, Capacity(length), purpose);
        }
        View = buffer.View.SubView(0, length);
    }

    public long AllocatedBytes => (buffer?.Length ?? 0) * ArrayView<T>.ElementSize;

    public long UsedBytes => View.Length * ArrayView<T>.ElementSize;

    public bool Trim()
    {
        long length = View.Length;
        if (buffer is null || buffer.Length <= Capacity(length)) return false;
        Release();
        EnsureLength(length);
        return true;
    }

    /// <summary>Copies <paramref name="data"/> to the start of the buffer.</summary>
    public void Upload(AcceleratorStream stream, ReadOnlySpan<T> data)
    {
        EnsureLength(data.Length);
        if (data.Length > 0) View.AsDense().CopyFromCPU(stream, data);
    }

    public void Dispose() => Release();

    public void Release()
    {
        View = default;
        buffer?.Dispose();
        buffer = null;
    }

    // A quarter of headroom: a tree that grows by a few tokens per step does not reallocate every step.
    private static long Capacity(long length) => Math.Max(1, length + length / 4);
}
