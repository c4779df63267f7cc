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
    /// exact coverage of each query's path, the per-query CSR of partial slots, item limits,
    /// a permutation as query order, consecutive partial numbering and the summary counters.
    /// </summary>
    public static void AssertValid(DecodingTree tree, IReadOnlyList<TreeQuery> queries, AttentionPlan plan,
        PlannerOptions options, string context)
    {
        int n = queries.Count;
        Require(plan.QueryCount == n, context, $"QueryCount {plan.QueryCount} != {n}");

        var order = plan.QueryOrder.ToArray();
        Require(order.Length == n, context, "QueryOrder has the wrong length");
        var placed = new bool[n];
        foreach (int q in order)
        {
            Require(q >= 0 && q < n && !placed[q], context, $"QueryOrder is not a permutation (entry {q})");
            placed[q] = true;
        }

        var slots = plan.TokenSlots.ToArray();
        var vis = plan.TokenVisibility.ToArray();
        Require(slots.Length == vis.Length, context, "TokenSlots and TokenVisibility differ in length");

        var seen = new List<int>[n];
        var expectedPartials = new List<int>[n];
        for (int i = 0; i < n; i++) { seen[i] = new List<int>(); expectedPartials[i] = new List<int>(); }

        int nextBase = 0;
        var items = plan.Items.ToArray();
        Require(items.Length > 0, context, "the plan has no work items");
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i];
            string where = $"item {i} {item}";
            Require(item.TokenBegin >= 0 && item.TokenBegin < item.TokenEnd && item.TokenEnd <= slots.Length, context, $"{where}: bad token range");
            Require(item.QueryBegin >= 0 && item.QueryBegin < item.QueryEnd && item.QueryEnd <= n, context, $"{where}: bad query range");
            Require(item.TokenCount <= options.BlockTokens, context, $"{where}: {item.TokenCount} tokens > BlockTokens {options.BlockTokens}");
            Require(item.QueryCount <= options.MaxQueriesPerItem, context, $"{where}: {item.QueryCount} queries > MaxQueriesPerItem {options.MaxQueriesPerItem}");
            Require(item.PartialBase == nextBase, context, $"{where}: PartialBase {item.PartialBase}, expected {nextBase}");
            nextBase += item.QueryCount;
            for (int p = item.QueryBegin; p < item.QueryEnd; p++)
            {
                int count = 0;
                for (int t = item.TokenBegin; t < item.TokenEnd; t++)
                    if (vis[t].Contains(p)) { seen[p].Add(slots[t]); count++; }
                if (count > 0) expectedPartials[order[p]].Add(item.PartialBase + p - item.QueryBegin);
                else if (p == item.QueryBegin || p == item.QueryEnd - 1)
                    Assert.Fail($"{context}: {where}: its first/last query {p} sees none of its tokens (range not trimmed)");
            }
        }
        Require(plan.PartialCount == nextBase, context, $"PartialCount {plan.PartialCount}, items number {nextBase} partial slots");

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
        Require(plan.VisiblePairs == pairs, context, $"VisiblePairs {plan.VisiblePairs}, path walk {pairs}");
        Require(plan.UniqueTokens == unique.Count, context, $"UniqueTokens {plan.UniqueTokens}, path walk {unique.Count}");
        Require(plan.MaxSlot == (unique.Count == 0 ? -1 : unique.Max()), context, $"MaxSlot {plan.MaxSlot}");

        var offsets = plan.PartialOffsets.ToArray();
        Require(offsets.Length == n + 1 && offsets[0] == 0 && offsets[n] == plan.PartialSlots.Length, context, "PartialOffsets is not a CSR index");
        var used = new HashSet<int>();
        for (int q = 0; q < n; q++)
        {
            var got = plan.PartialsOf(q).ToArray();
            for (int k = 0; k < got.Length; k++)
            {
                Require(got[k] >= 0 && got[k] < plan.PartialCount, context, $"query {q}: partial slot {got[k]} out of [0, {plan.PartialCount})");
                Require(k == 0 || got[k] > got[k - 1], context, $"query {q}: partial slots not ascending");
                Require(used.Add(got[k]), context, $"partial slot {got[k]} is merged by two queries");
            }
            if (!got.SequenceEqual(expectedPartials[q]))
                Assert.Fail($"{context}: PartialsOf({q}) = {Describe(got)}, items where it sees tokens give {Describe(expectedPartials[q])}");
        }

        switch (plan.Method)
        {
            case PlanMethod.Flatten: AssertBalancedBlocks(items, slots.Length, options, context); break;
            case PlanMethod.Sequence:
                foreach (var item in items) Require(item.QueryCount == 1, context, $"sequence item {item} has several queries");
                break;
        }
    }

    /// <summary>Flatten: the distinct token ranges of the items cut [0, n) into ⌈n / BlockTokens⌉ blocks whose sizes differ by at most one.</summary>
    private static void AssertBalancedBlocks(WorkItem[] items, int n, PlannerOptions options, string context)
    {
        var blocks = items.Select(i => (i.TokenBegin, i.TokenEnd)).Distinct().OrderBy(b => b.TokenBegin).ToArray();
        int expected = (n + options.BlockTokens - 1) / options.BlockTokens;
        Require(blocks.Length == expected, context, $"flatten has {blocks.Length} blocks, expected ⌈{n}/{options.BlockTokens}⌉ = {expected}");
        int at = 0;
        foreach (var (b, e) in blocks) { Require(b == at, context, $"flatten blocks do not tile the tokens at {at}"); at = e; }
        Require(at == n, context, "flatten blocks do not reach the last token");
        int min = blocks.Min(b => b.TokenEnd - b.TokenBegin), max = blocks.Max(b => b.TokenEnd - b.TokenBegin);
        Require(max - min <= 1, context, $"flatten blocks unbalanced: sizes {min}..{max}");
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
            Require(layout.QueryAt(p) == queries[layout.QueryOrder[p]], context, $"QueryAt({p}) disagrees with QueryOrder");
            foreach (int s in ReferenceAttention.PathSlots(tree, layout.QueryAt(p)))
            {
                if (!positions.TryGetValue(s, out var list)) positions[s] = list = new List<int>();
                list.Add(p);
            }
        }
        Require(layout.FlatSlots.Length == positions.Count, context,
            $"layout keeps {layout.FlatSlots.Length} tokens but queries see {positions.Count} distinct slots");
        Require(layout.FlatVisibility.Length == layout.FlatSlots.Length, context, "FlatVisibility length");
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

    private static void Require(bool condition, string context, string message)
    {
        if (!condition) Assert.Fail($"{context}: {message}");
    }

    private static string Describe(IReadOnlyCollection<int> values) =>
        values.Count <= 24 ? $"[{string.Join(", ", values)}]" : $"[{string.Join(", ", values.Take(24))}, ... ({values.Count} in all)]";
}
