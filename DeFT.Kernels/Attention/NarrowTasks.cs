namespace DeFT.Kernels.Attention;

/// <summary>
/// When a plan that shares KV runs its small items as narrow tasks (<see cref="TreeAttention.NarrowRows"/>): the second
/// launch waits for the first, so it pays only when the narrow items stream most of the plan's KV (the 6-level PAT
/// tree's leaves: 94 % of its tokens, 9–18 % faster on an H200); with a few small items beside a large shared prompt
/// (few-shot branches, reasoning thoughts) it cost 10–20 µs. Host upload and device planner decide by the same rule.
/// </summary>
internal static class NarrowTasks
{
    /// <summary>True when narrow items hold at least three quarters of the Σ item tokens.</summary>
    public static bool Split(long narrowTokens, long itemTokens) => 4 * narrowTokens >= 3 * itemTokens && narrowTokens > 0;
}
