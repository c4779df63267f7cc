namespace DeFT.Core.Planning;

/// <summary>
/// DeFT-Node: one group per tree node (its visible tokens), a node longer than
/// <see cref="PlannerOptions.BlockTokens"/> cut into chunks of that size.
/// </summary>
internal static class NodePlanner
{
    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        var builder = new PlanBuilder(PlanMethod.Node, layout.FlatSlotsArray, layout.FlatVisibilityArray, layout.QueryOrderArray, options);
        foreach (int node in layout.PreOrder)
        {
            var (begin, end) = layout.NodeFlatRange(node);
            builder.AddChunks(begin, end, options.BlockTokens);
        }
        return builder.Build(layout.FlatSlots.Length);
    }
}
