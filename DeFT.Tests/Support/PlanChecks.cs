using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;

namespace DeFT.Tests.Support;

/// <summary>
/// Checks a plan against an independent path walk (<see cref="ReferenceAttention.PathSlots"/>). Written with
/// plain loops and <see cref="Assert.Fail(string)"/> so that thousands of plans stay fast; every failure names
/// the context, the query and the token involved.
/// </summary>
internal static class PlanChecks
{
    /// <summary>
    /// Every property of DESIGN.md §3/§4 that a plan must have, whatever the method:
    /// exact coverage of each query's path, the per-query CSR of partial slots, item limits (BlockTokens, except for
    /// Adaptive with a target, whose chunk length the cost model chooses; MaxQueriesPerItem),
    /// a permutation as query order, consecutive partial numbering and the summary counters.
    /// </summary>
    public static void AssertValid(DecodingTree tree, IReadOnlyList<TreeQuery> queries, AttentionPlan plan,
        PlannerOptions options, string context)
    {
        int n = queries.Count;
        if (plan.QueryCount != n) Fail(context, $"QueryCount {plan.QueryCount} != {n}");

        var order = plan.QueryOrder.ToArray();
        if (order.Length != n) Fail(context, "QueryOrder has the wrong length");
        var placed = new bool[n];
        foreach (int q in order)
        {
            if (!(q >= 0 && q < n && !placed[q])) Fail(context, $"QueryOrder is not a permutation (entry {q})");
            placed[q] = true;
        }

        var slots = plan.TokenSlots.ToArray();
        var vis = plan.TokenVisibility.ToArray();
        if (slots.Length != vis.Length) Fail(context, "TokenSlots and TokenVisibility differ in length");

        var seen = new List<int>[n];
        var expectedPartials = new List<int>[n];
        for (int i = 0; i < n; i++) { seen[i] = new List<int>(); expectedPartials[i] = new List<int>(); }

        int nextBase = 0;
        var items = plan.Items.ToArray();
        if (items.Length == 0) Fail(context, "the plan has no work items");
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i];
            if (!(item.TokenBegin >= 0 && item.TokenBegin < item.TokenEnd && item.TokenEnd <= slots.Length)) Fail(context, $"item {i} {item}: bad token range");
            if (!(item.QueryBegin >= 0 && item.QueryBegin < item.QueryEnd && item.QueryEnd <= n)) Fail(context, $"item {i} {item}: bad query range");
            if (item.TokenCount > options.MaxItemTokens(plan.Method)) Fail(context, $"item {i} {item}: {item.TokenCount} tokens > BlockTokens {options.BlockTokens}");
            if (item.QueryCount > options.MaxQueriesPerItem) Fail(context, $"item {i} {item}: {item.QueryCount} queries > MaxQueriesPerItem {options.MaxQueriesPerItem}");
            if (item.PartialBase != nextBase) Fail(context, $"item {i} {item}: PartialBase {item.PartialBase}, expected {nextBase}");
            nextBase += item.QueryCount;
            for (int p = item.QueryBegin; p < item.QueryEnd; p++)
            {
                int count = 0;
                for (int t = item.TokenBegin; t < item.TokenEnd; t++)
                    if (vis[t].Contains(p)) { seen[p].Add(slots[t]); count++; }
                if (count > 0) expectedPartials[order[p]].Add(item.PartialBase + p - item.QueryBegin);
                else if (p == item.QueryBegin || p == item.QueryEnd - 1)
                    Assert.Fail($"{context}: item {i} {item}: its first/last query {p} sees none of its tokens (range not trimmed)");
            }
        }
        if (plan.PartialCount != nextBase) Fail(context, $"PartialCount {plan.PartialCount}, items number {nextBase} partial slots");

        long pairs = 0;
        var unique = new HashSet<int>();
        for (int p = 0; p < n; p++)
        {
            var query = queries[order[p]];
            var path = ReferenceAttention.PathSlots(tree, query);
            pairs += path.Count;
            unique.UnionWith(path);
            path.Sort();
            seen[p].Sort();
            if (!path.SequenceEqual(seen[p]))
                Assert.Fail($"{context}: query {order[p]} ({query}) at position {p} sees {Describe(seen[p])} across its items " +
                    $"but its path is {Describe(path)}");
        }
        if (plan.VisiblePairs != pairs) Fail(context, $"VisiblePairs {plan.VisiblePairs}, path walk {pairs}");
        if (plan.UniqueTokens != unique.Count) Fail(context, $"UniqueTokens {plan.UniqueTokens}, path walk {unique.Count}");
        if (!(plan.MaxSlot == (unique.Count == 0 ? -1 : unique.Max()))) Fail(context, $"MaxSlot {plan.MaxSlot}");

        var offsets = plan.PartialOffsets.ToArray();
        if (!(offsets.Length == n + 1 && offsets[0] == 0 && offsets[n] == plan.PartialSlots.Length)) Fail(context, "PartialOffsets is not a CSR index");
        var used = new HashSet<int>();
        for (int q = 0; q < n; q++)
        {
            var got = plan.PartialsOf(q).ToArray();
            for (int k = 0; k < got.Length; k++)
            {
                if (!(got[k] >= 0 && got[k] < plan.PartialCount)) Fail(context, $"query {q}: partial slot {got[k]} out of [0, {plan.PartialCount})");
                if (!(k == 0 || got[k] > got[k - 1])) Fail(context, $"query {q}: partial slots not ascending");
                if (!used.Add(got[k])) Fail(context, $"partial slot {got[k]} is merged by two queries");
            }
            if (!got.SequenceEqual(expectedPartials[q]))
                Assert.Fail($"{context}: PartialsOf({q}) = {Describe(got)}, items where it sees tokens give {Describe(expectedPartials[q])}");
        }

        switch (plan.Method)
        {
            case PlanMethod.Flatten: AssertBalancedBlocks(items, slots.Length, options, context); break;
            case PlanMethod.Sequence:
                foreach (var item in items) if (item.QueryCount != 1) Fail(context, $"sequence item {item} has several queries");
                break;
        }
    }

    /// <summary>Flatten: the distinct token ranges of the items cut [0, n) into ⌈n / BlockTokens⌉ blocks whose sizes differ by at most one.</summary>
    private static void AssertBalancedBlocks(WorkItem[] items, int n, PlannerOptions options, string context)
    {
        var blocks = items.Select(i => (i.TokenBegin, i.TokenEnd)).Distinct().OrderBy(b => b.TokenBegin).ToArray();
        long expected = ((long)n + options.BlockTokens - 1) / options.BlockTokens;
        if (blocks.Length != expected) Fail(context, $"flatten has {blocks.Length} blocks, expected ⌈{n}/{options.BlockTokens}⌉ = {expected}");
        int at = 0;
        foreach (var (b, e) in blocks) { if (b != at) Fail(context, $"flatten blocks do not tile the tokens at {at}"); at = e; }
        if (at != n) Fail(context, "flatten blocks do not reach the last token");
        int min = blocks.Min(b => b.TokenEnd - b.TokenBegin), max = blocks.Max(b => b.TokenEnd - b.TokenBegin);
        if (max - min > 1) Fail(context, $"flatten blocks unbalanced: sizes {min}..{max}");
    }

    /// <summary>
    /// DESIGN.md §3: for every flat token of the layout, the ordered positions whose path contains its slot are
    /// exactly <c>FlatVisibility[t]</c>, and the flat tokens are exactly the slots some query sees.
    /// </summary>
    public static void AssertIntervalClaim(DecodingTree tree, IReadOnlyList<TreeQuery> queries, string context) =>
        AssertIntervalClaim(new TreeLayout(tree, queries), tree, queries, context);

    /// <summary>The interval claim for a given <paramref name="layout"/> of <paramref name="tree"/> and <paramref name="queries"/>.</summary>
    public static void AssertIntervalClaim(TreeLayout layout, DecodingTree tree, IReadOnlyList<TreeQuery> queries, string context)
    {
        var positions = new Dictionary<int, List<int>>();
        for (int p = 0; p < layout.QueryCount; p++)
        {
            if (layout.QueryAt(p) != queries[layout.QueryOrder[p]]) Fail(context, $"QueryAt({p}) disagrees with QueryOrder");
            foreach (int s in ReferenceAttention.PathSlots(tree, layout.QueryAt(p)))
            {
                if (!positions.TryGetValue(s, out var list)) positions[s] = list = new List<int>();
                list.Add(p);
            }
        }
        if (layout.FlatSlots.Length != positions.Count) Fail(context,
            $"layout keeps {layout.FlatSlots.Length} tokens but queries see {positions.Count} distinct slots");
        if (layout.FlatVisibility.Length != layout.FlatSlots.Length) Fail(context, "FlatVisibility length");
        for (int t = 0; t < layout.FlatSlots.Length; t++)
        {
            int slot = layout.FlatSlots[t];
            var r = layout.FlatVisibility[t];
            if (!positions.TryGetValue(slot, out var list))
                Assert.Fail($"{context}: flat token {t} (slot {slot}) is seen by no query");
            // list is strictly ascending (each position adds a slot at most once), so count and ends decide equality.
            if (list!.Count != r.End - r.Begin || list[0] != r.Begin || list[^1] != r.End - 1)
                Assert.Fail($"{context}: flat token {t} (slot {slot}) has mask [{r.Begin}, {r.End}) but is seen by positions {Describe(list)}");
        }
    }

    private static void Fail(string context, string message) => Assert.Fail($"{context}: {message}");

    private static string Describe(IReadOnlyCollection<int> values) =>
        values.Count <= 24 ? $"[{string.Join(", ", values)}]" : $"[{string.Join(", ", values.Take(24))}, ... ({values.Count} in all)]";
}
