namespace DeFT.Core.Planning;

/// <summary>
/// The sequence-based (Q-guided) plan of Flash-Decoding: every query's path is its own sequence, cut into
/// chunks of <see cref="PlannerOptions.BlockTokens"/> tokens; a shared prefix is read once per query.
/// The plan's token list is the concatenation of all paths, each token visible to its one query.
/// </summary>
public static class SequencePlanner
{
    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        var slots = new List<int>();
        var visibility = new List<QueryRange>();
        var pathBounds = new int[layout.QueryCount + 1];
        for (int p = 0; p < layout.QueryCount; p++)
        {
            foreach (var (begin, end) in layout.PathRanges(p))
                for (int t = begin; t < end; t++)
                {
                    slots.Add(layout.FlatSlots[t]);
                    visibility.Add(new QueryRange(p, p + 1));
                }
            pathBounds[p + 1] = slots.Count;
        }
        var builder = new PlanBuilder(PlanMethod.Sequence, slots.ToArray(), visibility.ToArray(), layout.QueryOrder, options);
        for (int p = 0; p < layout.QueryCount; p++)
            for (int t = pathBounds[p]; t < pathBounds[p + 1]; t += options.BlockTokens)
                builder.AddGroup(t, Math.Min(pathBounds[p + 1], t + options.BlockTokens));
        return builder.Build(layout.FlatSlots.Length);
    }
}
