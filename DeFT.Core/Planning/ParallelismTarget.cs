namespace DeFT.Core.Planning;

/// <summary>
/// The parallelism of the device a plan is cut for, and the timing constants of <see cref="PlanTimeModel"/>: how many
/// thread groups run at once (<see cref="ConcurrentGroups"/> = SMs × groups per SM of the partial-attention kernel),
/// and how work items become groups (one group per task of up to <see cref="RowsPerTask"/> rows and KV head, a row
/// being a (query, query head of the KV head) pair). With it set in <see cref="PlannerOptions.Target"/>, the
/// <see cref="AdaptivePlanner"/> chooses how long a chunk of a long node is by the modelled time of the whole plan;
/// without it (the default) it plans exactly as before, with <see cref="PlannerOptions.BlockTokens"/>. No GPU is
/// needed to build one: <c>TreeAttention.ParallelismTarget()</c> in DeFT.Kernels fills it for an accelerator, and
/// <see cref="For"/> builds one from numbers.
/// </summary>
/// <param name="Multiprocessors">Streaming multiprocessors (132 on an H200).</param>
/// <param name="GroupsPerMultiprocessor">Groups of the partial-attention kernel resident per SM (3 for the tensor-core kernel at D 128).</param>
/// <param name="RowsPerTask">Rows per group of that kernel (64 tensor-core, 16 CUDA-core).</param>
/// <param name="QueryHeadsPerKvHead">G = Hq / Hkv: rows per query.</param>
/// <param name="KvHeads">Hkv: every task runs once per KV head.</param>
public sealed record ParallelismTarget(int Multiprocessors, int GroupsPerMultiprocessor, int RowsPerTask, int QueryHeadsPerKvHead, int KvHeads)
{
    /// <summary>
    /// Time one group spends per KV token of its work item while every slot is busy (µs). Default 0.06 µs: the
    /// tensor-core kernel v16 at D 128 on an H200, B_spec_P16k_T256 (run v23: 332 µs for one wave of 384 groups × 5334
    /// tokens). It was 0.2 (the v5 kernel, run v6) until run v24: the kernels got 3.4× faster while partial results did
    /// not get cheaper, so the old constant undercharged partials by as much and cut widely shared prompts into four
    /// times the chunks that fill the device (B_spec_P4k_T256: 48 items and 51 MB of partials, 142 µs; with 16 items,
    /// 123 µs). The planner's choices depend on the ratios of the three timing constants, not on their scale.
    /// </summary>
    public double TokenMicroseconds { get; init; } = 0.06;

    /// <summary>
    /// Fixed time of one group besides its tokens (µs): start, Q staged into shared memory, the final normalisation.
    /// Default 1.5 µs, of the order of the 3 µs D_pat_1,256_256,32 lost with two short groups per slot instead of
    /// one (run v7, Adaptive 71.8 vs Flatten 68.8 µs). Penalises cutting into more groups than fill the device.
    /// </summary>
    public double GroupMicroseconds { get; init; } = 1.5;

    /// <summary>
    /// Bandwidth at which partial results are written and read back by the merge (bytes per µs). Default 4.2e6
    /// (4.2 TB/s, an H200's measured read + write copy rate).
    /// </summary>
    public double PartialBytesPerMicrosecond { get; init; } = 4.2e6;

    /// <summary>Shortest chunk the planner cuts a long node into (tokens); default 32, one KV tile of either kernel.</summary>
    public int MinChunkTokens { get; init; } = 32;

    /// <summary>
    /// Modelled gain (fraction of the modelled time) below which the planner keeps the plan of
    /// <see cref="PlannerOptions.BlockTokens"/>: the model is coarse, so small predicted gains are not worth a
    /// different plan. Default 0.03.
    /// </summary>
    public double MinimumGain { get; init; } = 0.03;

    /// <summary>
    /// The target of trees that share no KV, or null (the default: one target for every tree). A plan whose work items
    /// read each KV token for about one query runs a streaming shape of the partial-attention kernel with its own groups
    /// per SM and rows per task (the tensor-core kernel's one-warp shape: 6 groups of 16 rows at D 128), so the Adaptive
    /// planner cuts a tree whose tokens are seen by at most <see cref="StreamingSharing"/> queries on average for this
    /// target instead (<see cref="ForSharing"/>).
    /// </summary>
    public ParallelismTarget? Streaming { get; init; }

    /// <summary>
    /// Queries per KV token, averaged over a tree's tokens, at or below which the tree is planned for
    /// <see cref="Streaming"/>: 1.5, the test by which the tensor-core kernel runs a plan in its streaming shape.
    /// </summary>
    public const double StreamingSharing = 1.5;

    /// <summary>
    /// The target to plan a tree for whose <paramref name="tokens"/> tokens are seen by <paramref name="pairs"/> (token,
    /// query) pairs: <see cref="Streaming"/> when set and the tree shares at most <see cref="StreamingSharing"/> queries per
    /// token, else this one.
    /// </summary>
    public ParallelismTarget ForSharing(long tokens, long pairs) =>
        Streaming is { } streaming && SharesFew(tokens, pairs) ? streaming : this;

    /// <summary>
    /// Whether <paramref name="tokens"/> KV tokens read for <paramref name="pairs"/> (token, query) pairs serve at most
    /// <see cref="StreamingSharing"/> queries each on average: the one test of a tree here and of a plan's streaming shape
    /// in the kernels.
    /// </summary>
    internal static bool SharesFew(long tokens, long pairs) => pairs <= StreamingSharing * tokens;

    /// <summary>Groups the device runs at once: <see cref="Multiprocessors"/> × <see cref="GroupsPerMultiprocessor"/>.</summary>
    public int ConcurrentGroups => Multiprocessors * GroupsPerMultiprocessor;

    /// <summary>Groups a work item of <paramref name="queries"/> queries launches: ⌈queries·G / RowsPerTask⌉ × Hkv.</summary>
    public long GroupsPerItem(int queries) => ((long)queries * QueryHeadsPerKvHead + RowsPerTask - 1) / RowsPerTask * KvHeads;

    /// <summary>
    /// A target for <paramref name="heads"/> on a device of <paramref name="multiprocessors"/> SMs running
    /// <paramref name="groupsPerMultiprocessor"/> groups of <paramref name="rowsPerTask"/> rows each. The per-token time
    /// is scaled from the D 128 calibration in proportion to the head dimension (an assumption, not measured at D 64).
    /// </summary>
    public static ParallelismTarget For(HeadConfig heads, int multiprocessors, int groupsPerMultiprocessor = 3, int rowsPerTask = 64) =>
        new(multiprocessors, groupsPerMultiprocessor, rowsPerTask, heads.GroupSize, heads.KvHeads)
        {
            TokenMicroseconds = 0.06 * heads.HeadDim / 128.0,
        };

    /// <summary>
    /// Compact form for reports: <c>SMsxGROUPSxROWS</c>, e.g. <c>132x3x64</c>, followed by the streaming target when set
    /// (<c>132x3x64/132x6x16</c>).
    /// </summary>
    public override string ToString() =>
        $"{Multiprocessors}x{GroupsPerMultiprocessor}x{RowsPerTask}{(Streaming is null ? "" : "/" + Streaming)}";

    internal void Validate()
    {
        if (Multiprocessors < 1 || GroupsPerMultiprocessor < 1 || RowsPerTask < 1 || QueryHeadsPerKvHead < 1 || KvHeads < 1)
            throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "Target counts must be at least 1.");
        if ((long)Multiprocessors * GroupsPerMultiprocessor > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "Too many concurrent groups.");
        if (!(TokenMicroseconds > 0) || !(GroupMicroseconds >= 0) || !(PartialBytesPerMicrosecond > 0) || double.IsInfinity(TokenMicroseconds)
            || double.IsInfinity(GroupMicroseconds) || double.IsInfinity(PartialBytesPerMicrosecond))
            throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "Target times must be finite, the token time and bandwidth positive.");
        if (MinChunkTokens < 1) throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "MinChunkTokens must be at least 1.");
        if (!(MinimumGain >= 0 && MinimumGain < 1)) throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "MinimumGain must be in [0, 1).");
        if (Streaming is { Streaming: not null }) throw new ArgumentOutOfRangeException(nameof(PlannerOptions.Target), this, "A streaming target has no streaming target of its own.");
        Streaming?.Validate();
    }
}
