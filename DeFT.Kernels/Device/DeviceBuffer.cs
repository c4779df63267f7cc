using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// A device array that grows but never shrinks: uploads reuse it while they fit, so steady-state
/// decode steps allocate nothing. <see cref="View"/> covers the last upload's length.
/// </summary>
internal sealed class DeviceBuffer<T> : IDisposable where T : unmanaged
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
        if (buffer is null || buffer.Length < length)
        {
            Release();
            buffer = DeviceMemory.Allocate<T>(accelerator, Math.Max(1, length + length / 4), purpose);
        }
        View = buffer.View.SubView(0, length);
    }

    /// <summary>Copies <paramref name="data"/> to the start of the buffer.</summary>
    public void Upload(AcceleratorStream stream, ReadOnlySpan<T> data)
    {
        EnsureLength(data.Length);
        if (data.Length > 0) View.AsDense().CopyFromCPU(stream, data);
    }

    public void Dispose() => Release();

    private void Release()
    {
        View = default;
        buffer?.Dispose();
        buffer = null;
    }
}
