namespace DeFT.Kernels.Attention;

/// <summary>
/// When a plan that shares KV runs its small items as narrow tasks (<see cref="TreeAttention.NarrowRows"/>). A plan whose
/// items are all narrow (a small tree at GQA 1, say 8 reasoning thoughts: every item of at most 16 rows) runs them all
/// in the one-warp shape, one launch: the four-warp shape would run each with three warps idle. Otherwise the narrow
/// tasks are a second launch that waits for the first, so it pays only when the narrow items stream most of the plan's
/// KV, and a lot of it (the 6-level PAT tree's leaves: 94 % of its tokens, 9–18 % faster on an H200 at GQA 4 and 1).
/// With a few small items beside a large shared prompt (few-shot branches, reasoning thoughts) it cost 10–20 µs; on a
/// small tree whose blocks are shared by 8 queries (D_pat_1,256 Flatten at 32:32, 8k tokens) 28 %. Host upload and
/// device planner decide alike.
/// </summary>
internal static class NarrowTasks
{
    /// <summary>Σ narrow tokens × KV heads below which a second launch does not pay: 2^20 is 512 MB of fp16 K and V at D 128 (~120 µs of streaming).</summary>
    public const long MinTokenHeads = 1L << 20;

    /// <summary>
    /// True when every item is narrow (one launch of narrow tasks), or when narrow items hold at least three quarters of
    /// the Σ item tokens and at least <paramref name="minTokenHeads"/> token-heads (<see cref="MinTokenHeads"/>; tests
    /// lower it to reach the two-launch split on small trees).
    /// </summary>
    public static bool Split(long narrowTokens, long itemTokens, int kvHeads, long minTokenHeads) =>
        narrowTokens > 0 && (narrowTokens == itemTokens || 4 * narrowTokens >= 3 * itemTokens && narrowTokens * kvHeads >= minTokenHeads);
}
