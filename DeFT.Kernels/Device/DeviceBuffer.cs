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
    private MemoryBuffer1D<T, Stride1D.Dense>? buffer;

    public DeviceBuffer(Accelerator accelerator) => this.accelerator = accelerator;

    public ArrayView<T> View { get; private set; }

    /// <summary>Makes room for <paramref name="length"/> elements (contents are undefined after a grow).</summary>
    public void EnsureLength(long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = accelerator.Allocate1D<T>(Math.Max(1, length + length / 4));
        }
        View = buffer.View.SubView(0, length);
    }

    /// <summary>Copies <paramref name="data"/> to the start of the buffer.</summary>
    public void Upload(AcceleratorStream stream, ReadOnlySpan<T> data)
    {
        EnsureLength(data.Length);
        if (data.Length > 0) View.AsDense().CopyFromCPU(stream, data);
    }

    public void Dispose() => buffer?.Dispose();
}
