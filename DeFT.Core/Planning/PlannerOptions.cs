namespace DeFT.Core.Planning;

/// <summary>Knobs of the tree split. Both limits bound the size of one work item (see <see cref="MaxItemTokens"/> for the one exception).</summary>
public sealed record PlannerOptions
{
    /// <summary>
    /// Largest number of KV tokens in one work item (Flatten balances its blocks to at most this; Node, Sequence and
    /// Adaptive cut longer nodes or paths into chunks of at most this). With a <see cref="Target"/>, Adaptive chooses its
    /// chunk length by the modelled time instead, possibly longer than this; it still packs small nodes only up to this.
    /// Any positive value, up to <see cref="int.MaxValue"/>: one larger than the tree leaves nodes (Node) and paths (Sequence) whole.
    /// </summary>
    public int BlockTokens { get; init; } = 256;

    /// <summary>
    /// Largest number of queries in one work item; a block seen by more queries becomes several items. Any positive value,
    /// up to <see cref="int.MaxValue"/> (no split).
    /// </summary>
    public int MaxQueriesPerItem { get; init; } = 64;

    /// <summary>Costs the <see cref="AdaptivePlanner"/> weighs (default: Hq 32 / Hkv 8 / D 128, fp16, an H100/H200).</summary>
    public PlanCostModel CostModel { get; init; } = PlanCostModel.Default;

    /// <summary>
    /// The device the plan is cut for (its concurrent groups and how items become groups), or null (the default) when
    /// unknown: then every planner plans with <see cref="BlockTokens"/> alone, as it always did. Only the
    /// <see cref="AdaptivePlanner"/> uses it (Flatten and Node stay the paper's methods, Sequence the baseline).
    /// </summary>
    public ParallelismTarget? Target { get; init; }

    /// <summary>The defaults.</summary>
    public static PlannerOptions Default { get; } = new();

    /// <summary>
    /// Largest number of KV tokens a work item of <paramref name="method"/> may hold: <see cref="BlockTokens"/>, except
    /// for Adaptive with a <see cref="Target"/>, whose chunk length the cost model chooses (no limit).
    /// </summary>
    public int MaxItemTokens(PlanMethod method) => method == PlanMethod.Adaptive && Target is not null ? int.MaxValue : BlockTokens;

    internal void Validate()
    {
        if (BlockTokens < 1) throw new ArgumentOutOfRangeException(nameof(BlockTokens), BlockTokens, "BlockTokens must be at least 1.");
        ArgumentNullException.ThrowIfNull(CostModel);
        if (CostModel.KvBytesPerToken < 0 || CostModel.PartialBytesPerQuery < 0 || CostModel.BytesPerPair < 0)
            throw new ArgumentOutOfRangeException(nameof(CostModel), CostModel, "Cost model weights must not be negative.");
        if (MaxQueriesPerItem < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueriesPerItem), MaxQueriesPerItem, "MaxQueriesPerItem must be at least 1.");
        Target?.Validate();
    }
}
