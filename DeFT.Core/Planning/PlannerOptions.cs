namespace DeFT.Core.Planning;

/// <summary>Knobs of the tree split. Both limits bound the size of one work item.</summary>
public sealed record PlannerOptions
{
    /// <summary>Largest number of KV tokens in one work item (Flatten balances its blocks to at most this).</summary>
    public int BlockTokens { get; init; } = 256;

    /// <summary>Largest number of queries in one work item; a block seen by more queries becomes several items.</summary>
    public int MaxQueriesPerItem { get; init; } = 64;

    /// <summary>The defaults.</summary>
    public static PlannerOptions Default { get; } = new();

    internal void Validate()
    {
        if (BlockTokens < 1) throw new ArgumentOutOfRangeException(nameof(BlockTokens), BlockTokens, "BlockTokens must be at least 1.");
        if (MaxQueriesPerItem < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueriesPerItem), MaxQueriesPerItem, "MaxQueriesPerItem must be at least 1.");
    }
}
