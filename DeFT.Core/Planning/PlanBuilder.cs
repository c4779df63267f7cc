namespace DeFT.Core.Planning;

/// <summary>
/// Turns candidate groups (a token range and a query range) into a finished <see cref="AttentionPlan"/>:
/// splits query ranges by <see cref="PlannerOptions.MaxQueriesPerItem"/>, trims each item's query range
/// to the queries that really see one of its tokens (dropping items nobody sees), numbers the partial
/// slots and builds the per-query CSR.
/// </summary>
internal sealed class PlanBuilder
{
    private readonly PlanMethod method;
    private readonly int[] slots;
    private readonly QueryRange[] visibility;
    private readonly int[] queryOrder;
    private readonly int maxQueries;
    private readonly List<WorkItem> items = new();
    private readonly List<int>[] partialsByPosition;
    private int[] coverage = Array.Empty<int>();
    private int partialCount;
    private long visiblePairs;

    public PlanBuilder(PlanMethod method, int[] slots, QueryRange[] visibility, int[] queryOrder, PlannerOptions options)
    {
        // The planners are public: validate here too, so a direct call with BlockTokens or MaxQueriesPerItem < 1
        // throws instead of looping forever on a zero step (or dividing by zero).
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.method = method;
        this.slots = slots;
        this.visibility = visibility;
        this.queryOrder = queryOrder;
        maxQueries = options.MaxQueriesPerItem;
        partialsByPosition = new List<int>[queryOrder.Length];
        for (int i = 0; i < partialsByPosition.Length; i++) partialsByPosition[i] = new List<int>();
    }

    /// <summary>Adds the group of plan tokens <c>[tokenBegin, tokenEnd)</c>; its query range is the union of the tokens' masks.</summary>
    public void AddGroup(int tokenBegin, int tokenEnd)
    {
        if (tokenEnd <= tokenBegin) return;
        int lo = int.MaxValue, hi = int.MinValue;
        for (int t = tokenBegin; t < tokenEnd; t++)
        {
            lo = Math.Min(lo, visibility[t].Begin);
            hi = Math.Max(hi, visibility[t].End);
        }
        for (int q = lo; q < hi; q = ChunkEnd(q, hi, maxQueries)) AddItem(tokenBegin, tokenEnd, q, ChunkEnd(q, hi, maxQueries));
    }

    /// <summary>Adds plan tokens <c>[begin, end)</c> as consecutive groups of at most <paramref name="chunk"/> tokens.</summary>
    public void AddChunks(int begin, int end, int chunk)
    {
        for (int t = begin; t < end; t = ChunkEnd(t, end, chunk)) AddGroup(t, ChunkEnd(t, end, chunk));
    }

    /// <summary>
    /// End of the chunk of at most <paramref name="chunk"/> starting at <paramref name="at"/> (≤ <paramref name="end"/>):
    /// <c>at + chunk</c> may exceed <see cref="int.MaxValue"/> for the large limits the options allow, <c>end - at</c> cannot.
    /// </summary>
    private static int ChunkEnd(int at, int end, int chunk) => end - at > chunk ? at + chunk : end;

    private void AddItem(int tokenBegin, int tokenEnd, int queryBegin, int queryEnd)
    {
        // Difference array over the query range: which queries see at least one token of the item.
        int width = queryEnd - queryBegin;
        if (coverage.Length < width + 1) coverage = new int[Math.Max(width + 1, coverage.Length * 2)];
        Array.Clear(coverage, 0, width + 1);
        for (int t = tokenBegin; t < tokenEnd; t++)
        {
            int a = Math.Max(visibility[t].Begin, queryBegin);
            int b = Math.Min(visibility[t].End, queryEnd);
            if (a >= b) continue;
            visiblePairs += b - a;
            coverage[a - queryBegin]++;
            coverage[b - queryBegin]--;
        }
        int first = -1, last = -1, running = 0;
        for (int i = 0; i < width; i++)
        {
            running += coverage[i];
            coverage[i] = running;
            if (running > 0) { if (first < 0) first = i; last = i; }
        }
        if (first < 0) return;
        var item = new WorkItem(tokenBegin, tokenEnd, queryBegin + first, queryBegin + last + 1, partialCount);
        for (int i = first; i <= last; i++)
            if (coverage[i] > 0) partialsByPosition[queryBegin + i].Add(partialCount + i - first);
        partialCount += item.QueryCount;
        items.Add(item);
    }

    public AttentionPlan Build(int uniqueTokens)
    {
        int n = queryOrder.Length;
        var offsets = new int[n + 1];
        for (int p = 0; p < n; p++) offsets[queryOrder[p] + 1] = partialsByPosition[p].Count;
        for (int q = 0; q < n; q++) offsets[q + 1] += offsets[q];
        var flat = new int[offsets[n]];
        for (int p = 0; p < n; p++) partialsByPosition[p].CopyTo(flat, offsets[queryOrder[p]]);

        return new AttentionPlan(method, slots, visibility, items.ToArray(), queryOrder, offsets, flat,
            partialCount, visiblePairs, uniqueTokens);
    }
}
