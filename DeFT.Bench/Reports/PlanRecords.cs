namespace DeFT.Bench.Reports;

/// <summary>The IO model of one method on one workload (one element of <see cref="PlanRecord.Methods"/>).</summary>
public sealed record PlanMethodRecord(string Method, long KvBytesRead, long UniqueKvBytes, double? KvReductionPercent,
    long PartialBytesWritten, long PartialBytesRead, int WorkItems, long PaddedPairs, double Flops, double PlanMicroseconds);

/// <summary>Head configuration in reports.</summary>
public sealed record HeadsRecord(int Q, int Kv, int Dim);

/// <summary>The <c>plan</c> command's output for one (workload, heads).</summary>
public sealed record PlanRecord(string Workload, HeadsRecord Heads, int Queries, long TreeTokens, bool Synthetic,
    IReadOnlyList<PlanMethodRecord> Methods);
