namespace DeFT.Kernels.Planning;

/// <summary>
/// Slots of <see cref="PlanViews.Header"/>: the totals the planning kernels leave for the host, which reads them once per
/// step to size the device plan's buffers and the attention launch.
/// </summary>
internal static class PlanHeader
{
    public const int FlatTokens = 0;
    public const int Groups = 1;
    public const int Partials = 2;
    public const int Tasks = 3;
    public const int PackedTasks = 4;
    public const int PartialListLength = 5;
    public const int MaxSlot = 6;
    /// <summary>Σ tokens over work items (the streaming test's denominator).</summary>
    public const int ItemTokens = 7;
    /// <summary>Σ tokens · queries over work items.</summary>
    public const int ItemPairs = 8;
    /// <summary>Candidate items, kept or not (the grid of the fill launch).</summary>
    public const int Candidates = 9;
    /// <summary>Narrow tasks (one per item of at most <see cref="PlanViews.NarrowRows"/> rows), after the wide ones.</summary>
    public const int NarrowTasks = 10;
    /// <summary>Σ tokens over the work items of at most <see cref="PlanViews.NarrowRows"/> rows.</summary>
    public const int NarrowTokens = 11;
    public const int Length = 12;
}
