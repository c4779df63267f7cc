namespace DeFT.Core.Reference;

/// <summary>Attention output <c>[queries, Hq, D]</c> and natural-log LSE <c>[queries, Hq]</c> in double precision.</summary>
public sealed record AttentionResult(double[] Output, double[] Lse);
