using DeFT.Core.Trees;

namespace DeFT.Core.Planning;

/// <summary>
/// The depth-first layout every planner starts from (DESIGN.md §3). Queries are ordered by the
/// pre-order of their node, and queries on one node by visible length (ascending), so the queries
/// that see any given token form one contiguous range. The visible tokens are flattened in
/// pre-order, each with that range as its exact mask; tokens no query sees are dropped.
/// </summary>
internal sealed class TreeLayout
{
    private readonly DecodingTree tree;
    private readonly TreeQuery[] queries;
    private readonly int[] nodeFlatBegin;
    private readonly int[] nodeFlatEnd;

    // Plans share these arrays, so they are exposed read-only.
    internal readonly int[] QueryOrderArray;
    internal readonly int[] FlatSlotsArray;
    internal readonly QueryRange[] FlatVisibilityArray;

    /// <summary>Ordered position → index into the caller's query list.</summary>
    public ReadOnlySpan<int> QueryOrder => QueryOrderArray;

    /// <summary>Slots of the visible tokens in pre-order.</summary>
    public ReadOnlySpan<int> FlatSlots => FlatSlotsArray;

    /// <summary>Per flat token: the ordered queries that see it.</summary>
    public ReadOnlySpan<QueryRange> FlatVisibility => FlatVisibilityArray;

    /// <summary>Live nodes in pre-order.</summary>
    public int[] PreOrder { get; }

    /// <summary>Builds the layout; throws <see cref="TreeException"/> for a query on an unknown or
    /// removed node, a visible length out of range, or a query that sees no token at all.</summary>
    public TreeLayout(DecodingTree tree, IReadOnlyList<TreeQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(queries);
        this.tree = tree;
        this.queries = queries.ToArray();
        ValidateQueries(tree, this.queries);
        PreOrder = tree.PreOrder();
        var preIndex = new int[tree.NodeIdBound];
        for (int i = 0; i < PreOrder.Length; i++) preIndex[PreOrder[i]] = i;

        // Order queries by (pre-order of node, visible length, caller index).
        QueryOrderArray = Enumerable.Range(0, this.queries.Length).ToArray();
        Array.Sort(QueryOrderArray, (a, b) =>
        {
            var qa = this.queries[a];
            var qb = this.queries[b];
            int c = preIndex[qa.Node].CompareTo(preIndex[qb.Node]);
            if (c == 0) c = qa.VisibleTokens.CompareTo(qb.VisibleTokens);
            return c == 0 ? a.CompareTo(b) : c;
        });

        // Own query range of each node (by pre-order index), then subtree end by a reverse sweep.
        int n = PreOrder.Length;
        var ownBegin = new int[n];
        var ownEnd = new int[n];
        int pos = 0;
        for (int i = 0; i < n; i++)
        {
            ownBegin[i] = pos;
            while (pos < QueryOrderArray.Length && preIndex[this.queries[QueryOrderArray[pos]].Node] == i) pos++;
            ownEnd[i] = pos;
        }
        var subtreeEnd = (int[])ownEnd.Clone();
        for (int i = n - 1; i >= 0; i--)
        {
            int parent = tree.Parent(PreOrder[i]);
            if (parent >= 0) subtreeEnd[preIndex[parent]] = Math.Max(subtreeEnd[preIndex[parent]], subtreeEnd[i]);
        }

        // Flatten: token t of a node is seen by its own queries with visible length > t and by the whole subtree.
        // Kept tokens per node first, so the flat arrays are allocated once at their exact size.
        var keep = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            keep[i] = subtreeEnd[i] > ownEnd[i] ? tree.SlotSpan(PreOrder[i]).Length
                : ownEnd[i] > ownBegin[i] ? this.queries[QueryOrderArray[ownEnd[i] - 1]].VisibleTokens : 0;
            total += keep[i];
        }
        var slots = new int[total];
        var vis = new QueryRange[total];
        nodeFlatBegin = new int[tree.NodeIdBound];
        nodeFlatEnd = new int[tree.NodeIdBound];
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            int node = PreOrder[i];
            var nodeSlots = tree.SlotSpan(node);
            nodeFlatBegin[node] = at;
            int lo = ownBegin[i];
            for (int t = 0; t < keep[i]; t++)
            {
                while (lo < ownEnd[i] && this.queries[QueryOrderArray[lo]].VisibleTokens <= t) lo++;
                slots[at] = nodeSlots[t];
                vis[at++] = new QueryRange(lo, subtreeEnd[i]);
            }
            nodeFlatEnd[node] = at;
        }
        FlatSlotsArray = slots;
        FlatVisibilityArray = vis;
    }

    /// <summary>Number of queries.</summary>
    public int QueryCount => queries.Length;

    /// <summary>The query at ordered position <paramref name="position"/>.</summary>
    public TreeQuery QueryAt(int position) => queries[QueryOrderArray[position]];

    /// <summary>The flat-token range <c>[begin, end)</c> kept for <paramref name="node"/>.</summary>
    public (int Begin, int End) NodeFlatRange(int node) => (nodeFlatBegin[node], nodeFlatEnd[node]);

    /// <summary>
    /// The flat tokens that the query at ordered <paramref name="position"/> sees, as flat-token ranges
    /// from the root down (ancestors whole, its own node cut to its visible length).
    /// </summary>
    public List<(int Begin, int End)> PathRanges(int position)
    {
        var q = QueryAt(position);
        var ranges = new List<(int, int)>();
        ranges.Add((nodeFlatBegin[q.Node], nodeFlatBegin[q.Node] + q.VisibleTokens));
        for (int a = tree.Parent(q.Node); a >= 0; a = tree.Parent(a)) ranges.Add((nodeFlatBegin[a], nodeFlatEnd[a]));
        ranges.Reverse();
        return ranges;
    }

    /// <summary>Throws <see cref="TreeException"/> unless there is a query and every query sits on a live node and sees a token (shared with the device planner).</summary>
    internal static void ValidateQueries(DecodingTree tree, IReadOnlyList<TreeQuery> queries)
    {
        if (queries.Count == 0) throw new TreeException("At least one query is needed.");
        for (int i = 0; i < queries.Count; i++)
        {
            var q = queries[i];
            if (!tree.IsLive(q.Node)) throw new TreeException($"Query {i} sits on node {q.Node}, which is unknown or removed.");
            int count = tree.Slots(q.Node).Count;
            if (q.VisibleTokens < 0 || q.VisibleTokens > count)
                throw new TreeException($"Query {i} sees {q.VisibleTokens} tokens of node {q.Node}, which has {count}.");
            if (q.VisibleTokens == 0 && tree.PathLength(q.Node) == count)
                throw new TreeException($"Query {i} on node {q.Node} sees no token at all; attention over an empty set is undefined.");
        }
    }
}
