using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// Host-side checks of device objects before anything is enqueued: on CUDA a freed or foreign pointer corrupts the
/// context, and on the CPU accelerator ILGPU's failed assertions abort the process. Generic helpers read a view's
/// buffer through ILGPU's interfaces without boxing, so a run still allocates nothing.
/// </summary>
internal static class DeviceChecks
{
    /// <summary>Throws <see cref="ObjectDisposedException"/> when <paramref name="accelerator"/> has been disposed.</summary>
    public static void Live(Accelerator accelerator)
    {
        if (accelerator.IsDisposed)
            throw new ObjectDisposedException(accelerator.GetType().Name, $"The accelerator ({accelerator.Name}) has been disposed.");
    }

    /// <summary>
    /// Checks that <paramref name="view"/> (named <paramref name="name"/>; <paramref name="parameter"/> is the argument
    /// it came in) lives in a buffer that is not disposed, on <paramref name="accelerator"/>. A view without a buffer is
    /// left to the length checks, except that <paramref name="emptyIsError"/> names the likely cause.
    /// </summary>
    public static void View<T>(ArrayView<T> view, Accelerator accelerator, string name, string parameter, bool emptyIsError)
        where T : unmanaged
    {
        var buffer = BufferOf(view);
        if (buffer is null)
        {
            if (emptyIsError)
                throw new ArgumentException($"{name} is an empty view: a default ArrayView, or the View of a buffer read after it was " +
                    "disposed (ILGPU empties it then).", parameter);
            return;
        }
        if (buffer.IsDisposed)
            throw new ObjectDisposedException(name, $"{name} is a view of a device buffer that has been disposed.");
        if (!ReferenceEquals(buffer.Accelerator, accelerator))
            throw new ArgumentException($"{name} lives on another accelerator ({buffer.Accelerator?.Name ?? "none"}) than the kernels " +
                $"({accelerator.Name}).", parameter);
    }

    /// <summary>
    /// Checks that the kernels can run on <paramref name="accelerator"/>: CUDA, or ILGPU's CPU accelerator shaped like an
    /// NVIDIA GPU (warp of 32, at least 128 threads per group: <see cref="Accelerators.CreateContext"/> makes one). The
    /// kernels' groups are 4 warps of 32 lanes, and their PTX instructions exist only on CUDA; a default CPU device (warp 4,
    /// 16 threads per group) or an OpenCL device would otherwise fail at the first launch, deep inside ILGPU.
    /// </summary>
    public static void Supported(Accelerator accelerator)
    {
        if (accelerator.AcceleratorType is not (AcceleratorType.Cuda or AcceleratorType.CPU))
            throw new NotSupportedException($"The kernels run on CUDA or ILGPU's CPU accelerator, not on {accelerator.AcceleratorType} ({accelerator.Name}).");
        if (accelerator.WarpSize != 32 || accelerator.MaxNumThreadsPerGroup < 128)
            throw new NotSupportedException($"{accelerator.Name} has warps of {accelerator.WarpSize} lanes and at most {accelerator.MaxNumThreadsPerGroup} " +
                "threads per group; the kernels need warps of 32 and groups of 128 (on the CPU, create the device with " +
                "CPUDeviceKind.Nvidia, as Accelerators.CreateContext does).");
    }

    /// <summary>Checks that <paramref name="stream"/> is live and belongs to <paramref name="accelerator"/>.</summary>
    public static void Stream(AcceleratorStream stream, Accelerator accelerator, string parameter)
    {
        if (stream.IsDisposed) throw new ObjectDisposedException(parameter, "The accelerator stream has been disposed.");
        if (!ReferenceEquals(stream.Accelerator, accelerator))
            throw new ArgumentException($"The stream belongs to another accelerator ({stream.Accelerator.Name}) than the kernels ({accelerator.Name}).", parameter);
    }

    /// <summary>Checks that <paramref name="view"/> starts on an <paramref name="alignment"/>-byte boundary of device memory.</summary>
    public static void Aligned<T>(ArrayView<T> view, int alignment, string name) where T : unmanaged
    {
        var buffer = BufferOf(view);
        if (buffer is null || buffer.IsDisposed) return; // nothing to load from; a run refuses it
        long offset = IndexInBytesOf(view);
        long misalignment = ((long)buffer.NativePtr + offset) % alignment;
        if (misalignment != 0)
            throw new ArgumentException($"{name} starts at element {offset / ArrayView<T>.ElementSize} of its buffer, {misalignment} bytes past " +
                $"a {alignment}-byte boundary; the kernels load it {alignment} bytes at a time, so the view must start at a multiple of " +
                $"{alignment / ArrayView<T>.ElementSize} elements of an aligned buffer.", name);
    }

    private static MemoryBuffer? BufferOf<TView>(TView view) where TView : IArrayView => view.Buffer;

    private static long IndexInBytesOf<TView>(TView view) where TView : IContiguousArrayView => view.IndexInBytes;
}
