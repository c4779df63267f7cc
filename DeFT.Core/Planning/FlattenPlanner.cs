namespace DeFT.Core.Planning;

/// <summary>
/// DeFT-Flatten: the visible tokens, flattened depth-first, are cut into the fewest blocks of at most
/// <see cref="PlannerOptions.BlockTokens"/> tokens, all of (nearly) equal size, so big nodes are split
/// and small nodes are packed together. Each block is grouped with every query that sees one of its tokens.
/// </summary>
internal static class FlattenPlanner
{
    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        int n = layout.FlatSlots.Length;
        var builder = new PlanBuilder(PlanMethod.Flatten, layout.FlatSlotsArray, layout.FlatVisibilityArray, layout.QueryOrderArray, options);
        int blocks = (int)Math.Max(1, ((long)n + options.BlockTokens - 1) / options.BlockTokens);
        for (int b = 0; b < blocks; b++)
            builder.AddGroup((int)((long)b * n / blocks), (int)((long)(b + 1) * n / blocks));
        return builder.Build(n);
    }
}
