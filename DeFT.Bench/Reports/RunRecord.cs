namespace DeFT.Bench.Reports;

/// <summary>One timed (workload, heads, method) of the <c>run</c> command.</summary>
public sealed record RunRecord
{
    public required string Workload { get; init; }
    public required int Hq { get; init; }
    public required int Hkv { get; init; }
    public required int HeadDim { get; init; }

    /// <summary>Element type of Q, K, V and the output: "fp16" or "bf16" (absent in runs before bf16 existed: fp16).</summary>
    public string Elements { get; init; } = "fp16";
    public required string Method { get; init; }
    /// <summary>Partial-attention kernel: "cuda-core" or "tensor-core".</summary>
    public string Kernel { get; init; } = "";
    /// <summary>"ok", or "failed" when the output did not match the reference (then it is not timed).</summary>
    public required string Status { get; init; }
    public double? MedianUs { get; init; }
    public double? P10Us { get; init; }
    public double? P90Us { get; init; }
    public required double MemoryFloorUs { get; init; }
    public double? ComputeFloorUs { get; init; }
    /// <summary>Median over the larger floor.</summary>
    public double? FloorRatio { get; init; }
    /// <summary>Sequence median over this median (same workload and heads).</summary>
    public double? SpeedupVsSequence { get; init; }
    public required double MaxAbsError { get; init; }
    public required double RelL2Error { get; init; }
    public required int CheckedQueries { get; init; }
    public required long KvBytesRead { get; init; }
    public required long UniqueKvBytes { get; init; }
    public required long PartialBytesWritten { get; init; }
    public required int WorkItems { get; init; }
    public required double Flops { get; init; }
    public required double PlanUs { get; init; }
    public required double UploadUs { get; init; }
    public required string Device { get; init; }
    /// <summary>"evicted" (L2 flushed before each rep) or "warm".</summary>
    public required string L2 { get; init; }
    /// <summary>How L2 was evicted before each rep: "read" or "clear" a buffer of <see cref="L2EvictionBytes"/>, or "none"; absent in runs before v8 (which cleared).</summary>
    public string? L2Eviction { get; init; }
    /// <summary>Size of the buffer read or cleared to evict L2.</summary>
    public long? L2EvictionBytes { get; init; }
    public required bool Synthetic { get; init; }
    /// <summary>Measured copy bandwidth the memory floor used (GB/s).</summary>
    public double? BandwidthGbs { get; init; }
    /// <summary>Measured tensor-core rate the compute floor used (TFLOP/s).</summary>
    public double? TensorTflops { get; init; }
    /// <summary>The parallelism target Adaptive planned for (SMs x groups per SM x rows per group), or absent for none (BlockTokens alone).</summary>
    public string? PlannerTarget { get; init; }
}
