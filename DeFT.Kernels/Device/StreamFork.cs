using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>
/// Runs two launches of one call side by side on CUDA: <see cref="Fork"/> hands out a second stream that first waits for
/// everything enqueued on the caller's stream so far, and <see cref="Join"/> makes the caller's stream wait for what was
/// enqueued on the second one, so the launches after the join see both. The waits are CUDA events recorded and waited on
/// by the device (the driver API through P/Invoke, as <see cref="DynamicSharedMemory"/> does): the host never blocks.
/// The second stream does not synchronise with the legacy default stream (it is created non-blocking), so a launch on it
/// runs beside one on <c>DefaultStream</c>. It and the two events live as long as the accelerator's context, which
/// frees them. Calls are serialised by the caller (<see cref="Sync"/>): the events are shared.
/// </summary>
internal sealed class StreamFork
{
    private const uint DisableTiming = 2; // CU_EVENT_DISABLE_TIMING

    private readonly CudaAccelerator accelerator;
    private readonly CudaStream side;
    private readonly IntPtr forked, joined;

    private StreamFork(CudaAccelerator accelerator, CudaStream side, IntPtr forked, IntPtr joined)
    {
        this.accelerator = accelerator;
        this.side = side;
        this.forked = forked;
        this.joined = joined;
    }

    /// <summary>The lock a caller holds from <see cref="Fork"/> to <see cref="Join"/>.</summary>
    public object Sync { get; } = new();

    /// <summary>A fork on <paramref name="accelerator"/>, or null off CUDA or when the driver refuses the events (the caller then runs both launches on its stream).</summary>
    public static StreamFork? TryCreate(Accelerator accelerator)
    {
        if (accelerator is not CudaAccelerator cuda) return null;
        cuda.Bind();
        if (cuEventCreate(out var forked, DisableTiming) != 0) return null;
        if (cuEventCreate(out var joined, DisableTiming) != 0) return null;
        return new StreamFork(cuda, cuda.CreateStream(StreamFlags.CU_STREAM_NON_BLOCKING), forked, joined);
    }

    /// <summary>The second stream, after it has been made to wait for what <paramref name="main"/> has enqueued so far.</summary>
    public AcceleratorStream Fork(AcceleratorStream main)
    {
        accelerator.Bind();
        Check(cuEventRecord(forked, ((CudaStream)main).StreamPtr), "record an event on the caller's stream");
        Check(cuStreamWaitEvent(side.StreamPtr, forked, 0), "make the second stream wait for it");
        return side;
    }

    /// <summary>Makes <paramref name="main"/> wait for what the second stream has enqueued so far.</summary>
    public void Join(AcceleratorStream main)
    {
        Check(cuEventRecord(joined, side.StreamPtr), "record an event on the second stream");
        Check(cuStreamWaitEvent(((CudaStream)main).StreamPtr, joined, 0), "make the caller's stream wait for it");
    }

    private static void Check(int status, string what)
    {
        if (status != 0) throw new InvalidOperationException($"The CUDA driver failed to {what} (error {status}).");
    }

    [DllImport("libcuda.so.1")]
    private static extern int cuEventCreate(out IntPtr e, uint flags);

    [DllImport("libcuda.so.1")]
    private static extern int cuEventRecord(IntPtr e, IntPtr stream);

    [DllImport("libcuda.so.1")]
    private static extern int cuStreamWaitEvent(IntPtr stream, IntPtr e, uint flags);
}
