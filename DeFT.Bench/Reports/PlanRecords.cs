namespace DeFT.Bench.Reports;

/// <summary>
/// The IO model of one method on one workload (one element of <see cref="PlanRecord.Methods"/>); with a planner target,
/// also the <see cref="DeFT.Core.Planning.PlanTimeModel"/> of the plan on it: thread groups, waves (groups over concurrent
/// groups), modelled µs, and for Adaptive the chunk length it chose.
/// </summary>
public sealed record PlanMethodRecord(string Method, long KvBytesRead, long UniqueKvBytes, double? KvReductionPercent,
    long PartialBytesWritten, long PartialBytesRead, int WorkItems, long PaddedPairs, double Flops, double PlanMicroseconds,
    long? Groups = null, double? Waves = null, double? ModelMicroseconds = null, int? ChunkTokens = null);

/// <summary>Head configuration in reports.</summary>
public sealed record HeadsRecord(int Q, int Kv, int Dim);

/// <summary>The <c>plan</c> command's output for one (workload, heads).</summary>
public sealed record PlanRecord(string Workload, HeadsRecord Heads, int Queries, long TreeTokens, bool Synthetic,
    IReadOnlyList<PlanMethodRecord> Methods, string? Target = null);
