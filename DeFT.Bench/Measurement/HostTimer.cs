using System.Diagnostics;

namespace DeFT.Bench.Measurement;

/// <summary>Host-side timing of a function (planning): median of several calls after JIT warm-up.</summary>
public static class HostTimer
{
    /// <summary>
    /// Returns the last result and the median time in microseconds over <paramref name="reps"/> calls, after
    /// warm-up calls for at least half a second (at most 1000 calls), so the JIT has promoted the planner to
    /// optimised code as it would be in a long-running inference loop.
    /// </summary>
    public static (T Result, double MedianUs) Median<T>(Func<T> body, int reps = 15)
    {
        T result = default!;
        long warmStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < 1000 && (i < 30 || Stopwatch.GetElapsedTime(warmStart).TotalSeconds < 0.5); i++) result = body();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            result = body();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return (result, Percentiles.Of(times).Median);
    }
}
