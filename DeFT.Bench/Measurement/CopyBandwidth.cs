using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Bench.Measurement;

/// <summary>Device memory bandwidth from a large device-to-device copy: (bytes read + bytes written) / time.</summary>
public static class CopyBandwidth
{
    /// <summary>GB/s measured with two buffers of <paramref name="bytes"/> bytes.</summary>
    public static double Measure(Accelerator accelerator, long bytes)
    {
        using var a = accelerator.Allocate1D<int>(bytes / 4);
        using var b = accelerator.Allocate1D<int>(bytes / 4);
        a.MemSetToZero();
        var times = DeviceTimer.Measure(accelerator.DefaultStream, s => a.View.CopyTo(s, b.View), warmups: 3, reps: 10);
        return 2.0 * bytes / (Percentiles.Of(times).Median * 1e-6) / 1e9;
    }
}
