namespace DeFT.Core.Planning;

/// <summary>
/// The output of QKV preparation: flat, immutable arrays ready to upload to a GPU.
/// <list type="bullet">
/// <item><see cref="TokenSlots"/> / <see cref="TokenVisibility"/>: the plan's KV tokens (KV-cache slots) and,
/// per token, the ordered queries that see it (an exact mask).</item>
/// <item><see cref="Items"/>: work items over those tokens and ordered queries.</item>
/// <item><see cref="QueryOrder"/>: ordered position → the caller's query index (rows of q and the output).</item>
/// <item><see cref="PartialOffsets"/> / <see cref="PartialSlots"/>: per caller query, the partial slots to merge (CSR).</item>
/// </list>
/// </summary>
public sealed class AttentionPlan
{
    private readonly int[] tokenSlots;
    private readonly QueryRange[] tokenVisibility;
    private readonly WorkItem[] items;
    private readonly int[] queryOrder;
    private readonly int[] partialOffsets;
    private readonly int[] partialSlots;

    internal AttentionPlan(PlanMethod method, int[] tokenSlots, QueryRange[] tokenVisibility, WorkItem[] items,
        int[] queryOrder, int[] partialOffsets, int[] partialSlots, int partialCount, long visiblePairs, int uniqueTokens)
    {
        Method = method;
        this.tokenSlots = tokenSlots;
        this.tokenVisibility = tokenVisibility;
        this.items = items;
        this.queryOrder = queryOrder;
        this.partialOffsets = partialOffsets;
        this.partialSlots = partialSlots;
        PartialCount = partialCount;
        VisiblePairs = visiblePairs;
        UniqueTokens = uniqueTokens;
        MaxSlot = tokenSlots.Length == 0 ? -1 : tokenSlots.Max();
    }

    /// <summary>The grouping that produced this plan.</summary>
    public PlanMethod Method { get; }

    /// <summary>Number of queries.</summary>
    public int QueryCount => queryOrder.Length;

    /// <summary>Number of partial-result slots (one per (work item, query) pair).</summary>
    public int PartialCount { get; }

    /// <summary>Number of (query, visible token) pairs: the attention the tree really asks for.</summary>
    public long VisiblePairs { get; }

    /// <summary>Number of distinct KV tokens that some query sees.</summary>
    public int UniqueTokens { get; }

    /// <summary>Largest KV-cache slot the plan reads (-1 if none); the KV store must hold more slots than this.</summary>
    public int MaxSlot { get; }

    /// <summary>KV-cache slot of each plan token.</summary>
    public ReadOnlySpan<int> TokenSlots => tokenSlots;

    /// <summary>Ordered queries that see each plan token.</summary>
    public ReadOnlySpan<QueryRange> TokenVisibility => tokenVisibility;

    /// <summary>The work items.</summary>
    public ReadOnlySpan<WorkItem> Items => items;

    /// <summary>Ordered position → caller's query index.</summary>
    public ReadOnlySpan<int> QueryOrder => queryOrder;

    /// <summary>CSR offsets (length QueryCount + 1) into <see cref="PartialSlots"/>, indexed by caller query.</summary>
    public ReadOnlySpan<int> PartialOffsets => partialOffsets;

    /// <summary>Partial slots of each caller query, ascending.</summary>
    public ReadOnlySpan<int> PartialSlots => partialSlots;

    /// <summary>The partial slots caller query <paramref name="query"/> merges.</summary>
    public ReadOnlySpan<int> PartialsOf(int query) =>
        partialSlots.AsSpan(partialOffsets[query], partialOffsets[query + 1] - partialOffsets[query]);

    /// <summary>True when both plans hold the same arrays (plans of equal trees built in different ways).</summary>
    public bool ContentEquals(AttentionPlan other) =>
        Method == other.Method && PartialCount == other.PartialCount &&
        tokenSlots.AsSpan().SequenceEqual(other.tokenSlots) &&
        tokenVisibility.AsSpan().SequenceEqual(other.tokenVisibility) &&
        items.AsSpan().SequenceEqual(other.items) &&
        queryOrder.AsSpan().SequenceEqual(other.queryOrder) &&
        partialOffsets.AsSpan().SequenceEqual(other.partialOffsets) &&
        partialSlots.AsSpan().SequenceEqual(other.partialSlots);
}
