using DeFT.Core.Planning;

namespace DeFT.Bench.Measurement;

/// <summary>The physical lower bounds a method's time is compared with.</summary>
public static class Floors
{
    /// <summary>Memory floor in µs: unique KV bytes plus Q and output bytes over the copy bandwidth (GB/s).</summary>
    public static double MemoryUs(PlanStatistics stats, double bandwidthGBs) =>
        (stats.UniqueKvBytes + stats.QueryBytes) / (bandwidthGBs * 1e3);

    /// <summary>Compute floor in µs: useful FLOPs over the tensor-core rate (TFLOP/s); null when the rate is unknown.</summary>
    public static double? ComputeUs(PlanStatistics stats, double? tensorTflops) =>
        tensorTflops is double t ? stats.UsefulFlops / (t * 1e6) : null;
}
