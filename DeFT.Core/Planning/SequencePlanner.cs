namespace DeFT.Core.Planning;

/// <summary>
/// The sequence-based (Q-guided) plan of Flash-Decoding: every query's path is its own sequence, cut into
/// chunks of <see cref="PlannerOptions.BlockTokens"/> tokens; a shared prefix is read once per query.
/// The plan's token list is the concatenation of all paths, each token visible to its one query.
/// </summary>
internal static class SequencePlanner
{
    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        var paths = new List<(int Begin, int End)>[layout.QueryCount];
        var pathBounds = new int[layout.QueryCount + 1];
        for (int p = 0; p < layout.QueryCount; p++)
        {
            paths[p] = layout.PathRanges(p);
            pathBounds[p + 1] = pathBounds[p] + paths[p].Sum(r => r.End - r.Begin);
        }
        var slots = new int[pathBounds[^1]];
        var visibility = new QueryRange[slots.Length];
        var flat = layout.FlatSlots;
        for (int p = 0; p < layout.QueryCount; p++)
        {
            int at = pathBounds[p];
            foreach (var (begin, end) in paths[p])
            {
                flat[begin..end].CopyTo(slots.AsSpan(at));
                at += end - begin;
            }
            visibility.AsSpan(pathBounds[p], at - pathBounds[p]).Fill(new QueryRange(p, p + 1));
        }
        var builder = new PlanBuilder(PlanMethod.Sequence, slots, visibility, layout.QueryOrderArray, options);
        for (int p = 0; p < layout.QueryCount; p++)
            builder.AddChunks(pathBounds[p], pathBounds[p + 1], options.BlockTokens);
        return builder.Build(layout.FlatSlots.Length);
    }
}
