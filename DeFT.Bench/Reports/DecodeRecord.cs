namespace DeFT.Bench.Reports;

/// <summary>One (replay, method) of the <c>decode</c> command: totals over every step and layer of the replay.</summary>
public sealed record DecodeRecord
{
    public required string Workload { get; init; }
    public required string Description { get; init; }
    public required bool Synthetic { get; init; }
    public required string Method { get; init; }
    /// <summary>"ok", or "failed" when the last step's output did not match the reference.</summary>
    public required string Status { get; init; }
    /// <summary>Steps run (the replay's first ones).</summary>
    public required int Steps { get; init; }
    /// <summary>Steps of the whole replay.</summary>
    public required int ReplaySteps { get; init; }
    public required int Layers { get; init; }
    public required int Hq { get; init; }
    public required int Hkv { get; init; }
    public required int HeadDim { get; init; }
    /// <summary>KV-cache slots the replay needed (the pool's high-water mark).</summary>
    public required int PeakTokens { get; init; }
    public required int MaxQueries { get; init; }
    /// <summary>Device time of attention (partial + merge kernels), device events around every layer's call, summed over steps and layers.</summary>
    public required double AttentionSeconds { get; init; }
    /// <summary>Host time of planning, once per step.</summary>
    public required double PlanSeconds { get; init; }
    /// <summary>Of <see cref="PlanSeconds"/>, for a plan built on the device: the tree's diff and upload.</summary>
    public double? PlanTreeSeconds { get; init; }
    /// <summary>Of <see cref="PlanSeconds"/>, for a plan built on the device: waiting for the planning kernels and the totals.</summary>
    public double? PlanWaitSeconds { get; init; }
    /// <summary>Host time of uploading the plan (to completion), once per step.</summary>
    public required double UploadSeconds { get; init; }
    /// <summary>Host time spent inside the per-layer <c>Run</c> calls (validation and kernel launches).</summary>
    public required double LaunchSeconds { get; init; }
    /// <summary>Planning per step, in milliseconds.</summary>
    public double PlanMsPerStep => PlanSeconds * 1e3 / Steps;
    /// <summary>Upload per step, in milliseconds.</summary>
    public double UploadMsPerStep => UploadSeconds * 1e3 / Steps;
    /// <summary>Attention (all layers) per step, in milliseconds.</summary>
    public double AttentionMsPerStep => AttentionSeconds * 1e3 / Steps;
    /// <summary>Sequence attention time over this method's (same replay).</summary>
    public double? SpeedupVsSequence { get; init; }
    /// <summary>KV bytes the kernels read by the IO model, summed over steps and layers.</summary>
    public required double KvReadGB { get; init; }
    public required double MaxAbsError { get; init; }
    public required double RelL2Error { get; init; }
    public required int CheckedQueries { get; init; }
    public required string Device { get; init; }
    /// <summary>The parallelism target Adaptive planned for (SMs x groups per SM x rows per group), or absent for none.</summary>
    public string? PlannerTarget { get; init; }
}
