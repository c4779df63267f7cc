using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// A page-locked host array through which small per-step uploads go without waiting: ILGPU's copy from a managed span
/// synchronizes the stream after it, so a decode step's few uploads each stalled the host until the device caught up;
/// from page-locked memory the copy is enqueued like a kernel. The array is reused, so its owner must synchronize the
/// stream (as the device planner does when it reads the plan's totals) before the next <see cref="Upload"/> overwrites it.
/// </summary>
internal sealed class PinnedStaging<T> : IDisposable where T : unmanaged
{
    private readonly Accelerator accelerator;
    private PageLockedArray1D<T>? array;

    public PinnedStaging(Accelerator accelerator) => this.accelerator = accelerator;

    /// <summary>Copies <paramref name="data"/> here and enqueues its copy into <paramref name="target"/> (sized to it) on <paramref name="stream"/>.</summary>
    public void Upload(AcceleratorStream stream, ReadOnlySpan<T> data, DeviceBuffer<T> target)
    {
        target.EnsureLength(data.Length);
        if (data.IsEmpty) return;
        if (array is null || array.Length < data.Length)
        {
            array?.Dispose();
            array = accelerator.AllocatePageLocked1D<T>(data.Length + data.Length / 4, uninitialized: true);
        }
        data.CopyTo(array.Span);
        target.View.CopyFrom(stream, array.ArrayView.SubView(0, data.Length));
    }

    public void Dispose() => array?.Dispose();
}
