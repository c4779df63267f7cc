using DeFT.Core.Planning;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>
/// Every value the option types allow gives a valid plan: chunk arithmetic near <see cref="int.MaxValue"/> must not
/// overflow (a wrapped step once indexed past the token arrays).
/// </summary>
public class PlannerOverflowTests
{
    private static readonly int[] Large = { int.MaxValue, int.MaxValue - 1, int.MaxValue / 2, 1 << 30 };

    public static TheoryData<PlanMethod, int, int> MethodsAndLargeOptions()
    {
        var data = new TheoryData<PlanMethod, int, int>();
        foreach (var method in PlannerPropertyTests.Methods)
            foreach (int large in Large)
            {
                data.Add(method, large, 64);
                data.Add(method, 256, large);
                data.Add(method, large, large);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(MethodsAndLargeOptions))]
    public void Large_limits_give_valid_plans(PlanMethod method, int blockTokens, int maxQueries)
    {
        // A root of 2 tokens and two 1-token leaves; a forest of two such trees puts a second chunk after the first.
        foreach (var spec in new[] { "1,2_2,1", "2,4_3,2" })
        {
            var w = TreeSpec.Build(spec);
            var options = new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries };
            var plan = TreePlanner.Plan(w.Tree, w.Queries, method, options);
            PlanChecks.AssertValid(w.Tree, w.Queries, plan, options, $"{spec} {method} {options}");
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1 << 30)]
    public void Adaptive_cost_model_with_a_huge_tile_gives_a_valid_plan(int queriesPerTile)
    {
        var w = TreeSpec.Build("1,2,4_5,2,1");
        var options = new PlannerOptions { CostModel = PlanCostModel.Default with { QueriesPerTile = queriesPerTile } };
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, options);
        PlanChecks.AssertValid(w.Tree, w.Queries, plan, options, $"Adaptive QueriesPerTile {queriesPerTile}");
        // Two queries are paid as one whole tile of queriesPerTile.
        var m = options.CostModel;
        m.Cost(tokens: 3, queries: 2).Should().BeApproximately(
            3 * m.KvBytesPerToken + 2 * m.PartialBytesPerQuery + 3.0 * queriesPerTile * m.BytesPerPair, 1e-6 * m.Cost(3, 2));
        // The most queries round up to whole tiles without overflowing (the division is unsigned 32-bit).
        double tiles = Math.Ceiling((double)int.MaxValue / queriesPerTile);
        m.Cost(tokens: 1, queries: int.MaxValue).Should().BeApproximately(
            m.KvBytesPerToken + (double)int.MaxValue * m.PartialBytesPerQuery + tiles * queriesPerTile * m.BytesPerPair, 1e-6 * m.Cost(1, int.MaxValue));
    }
}
