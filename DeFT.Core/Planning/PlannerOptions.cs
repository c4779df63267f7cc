namespace DeFT.Core.Planning;

/// <summary>Knobs of the tree split. Both limits bound the size of one work item.</summary>
public sealed record PlannerOptions
{
    /// <summary>
    /// Largest number of KV tokens in one work item (Flatten balances its blocks to at most this). Any positive value, up to
    /// <see cref="int.MaxValue"/>: one larger than the tree leaves nodes (Node) and paths (Sequence) whole.
    /// </summary>
    public int BlockTokens { get; init; } = 256;

    /// <summary>
    /// Largest number of queries in one work item; a block seen by more queries becomes several items. Any positive value,
    /// up to <see cref="int.MaxValue"/> (no split).
    /// </summary>
    public int MaxQueriesPerItem { get; init; } = 64;

    /// <summary>Costs the <see cref="AdaptivePlanner"/> weighs (default: Hq 32 / Hkv 8 / D 128, fp16, an H100/H200).</summary>
    public PlanCostModel CostModel { get; init; } = PlanCostModel.Default;

    /// <summary>The defaults.</summary>
    public static PlannerOptions Default { get; } = new();

    internal void Validate()
    {
        if (BlockTokens < 1) throw new ArgumentOutOfRangeException(nameof(BlockTokens), BlockTokens, "BlockTokens must be at least 1.");
        ArgumentNullException.ThrowIfNull(CostModel);
        if (CostModel.KvBytesPerToken < 0 || CostModel.PartialBytesPerQuery < 0 || CostModel.BytesPerPair < 0)
            throw new ArgumentOutOfRangeException(nameof(CostModel), CostModel, "Cost model weights must not be negative.");
        if (MaxQueriesPerItem < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueriesPerItem), MaxQueriesPerItem, "MaxQueriesPerItem must be at least 1.");
    }
}
