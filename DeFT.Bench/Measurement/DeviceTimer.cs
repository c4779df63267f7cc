using ILGPU.Runtime;

namespace DeFT.Bench.Measurement;

/// <summary>Device-side timing with ILGPU profiling markers (CUDA events on a GPU).</summary>
public static class DeviceTimer
{
    /// <summary>
    /// Runs <paramref name="body"/> <paramref name="warmups"/> times, then <paramref name="reps"/> timed times;
    /// <paramref name="beforeEach"/> (e.g. an L2 flush) runs before every call, outside the timed span.
    /// Returns each timed call's device time in microseconds.
    /// </summary>
    public static double[] Measure(AcceleratorStream stream, Action<AcceleratorStream> body, int warmups, int reps,
        Action<AcceleratorStream>? beforeEach = null)
    {
        for (int i = 0; i < warmups; i++)
        {
            beforeEach?.Invoke(stream);
            body(stream);
        }
        stream.Synchronize();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            beforeEach?.Invoke(stream);
            using var start = stream.AddProfilingMarker();
            body(stream);
            using var end = stream.AddProfilingMarker();
            end.Synchronize();
            times[i] = (end - start).TotalMicroseconds;
        }
        return times;
    }
}
