using DeFT.Core.Trees;

namespace DeFT.Core.Planning;

/// <summary>Entry point of QKV preparation: plans a tree and its queries with a chosen method.</summary>
public static class TreePlanner
{
    /// <summary>
    /// Plans attention of <paramref name="queries"/> over <paramref name="tree"/>. Throws
    /// <see cref="TreeException"/> for invalid queries and <see cref="ArgumentOutOfRangeException"/> for bad options.
    /// </summary>
    public static AttentionPlan Plan(DecodingTree tree, IReadOnlyList<TreeQuery> queries,
        PlanMethod method = PlanMethod.Flatten, PlannerOptions? options = null)
    {
        options ??= PlannerOptions.Default;
        options.Validate();
        var layout = new TreeLayout(tree, queries);
        return method switch
        {
            PlanMethod.Flatten => FlattenPlanner.Plan(layout, options),
            PlanMethod.Node => NodePlanner.Plan(layout, options),
            PlanMethod.Sequence => SequencePlanner.Plan(layout, options),
            PlanMethod.Adaptive => AdaptivePlanner.Plan(layout, options),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown plan method."),
        };
    }
}
