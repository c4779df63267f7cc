using DeFT.Workloads.Replays;

namespace DeFT.Bench.Setup;

/// <summary>A replay of the <c>decode</c> command with its report name.</summary>
/// <param name="Name">Report name, e.g. <c>fewshot_b20</c>, <c>reason_sorting</c>, <c>spec_T64</c>.</param>
/// <param name="Description">What is replayed, and from which data.</param>
/// <param name="Synthetic">True when a data file was missing and a synthetic stand-in is replayed.</param>
/// <param name="Replay">The tree changes, step by step.</param>
public sealed record DecodeWorkload(string Name, string Description, bool Synthetic, IDecodeReplay Replay);
