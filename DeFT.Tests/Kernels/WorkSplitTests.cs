using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>
/// Work items split by queries (a block seen by more than <see cref="PlannerOptions.MaxQueriesPerItem"/> queries)
/// and work items with more rows than one thread group takes (several tasks per item).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class WorkSplitTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    // G = 4: five queries under one root make 20 rows (query × query head) in the root's items.
    private static readonly HeadConfig Heads = new(4, 1, 64);
    private static readonly TreeCase FiveLeaves = TreeCase.FromSpec("1,5_40,8");

    [Theory, AllMethods]
    public void Items_split_by_queries(PlanMethod method)
    {
        var plan = KernelCheck.MatchesReference(fixture, Heads, FiveLeaves, method,
            new PlannerOptions { MaxQueriesPerItem = 2 }, log: log);
        var items = plan.Items.ToArray();
        items.Should().OnlyContain(i => i.QueryCount <= 2);
        if (method != PlanMethod.Sequence)
        {
            // The root's tokens are seen by all five queries: the same token range appears in three items.
            items.GroupBy(i => (i.TokenBegin, i.TokenEnd)).Max(g => g.Count()).Should().Be(3);
        }
    }

    [Theory, AllMethods]
    public void Items_with_more_rows_than_a_task_holds(PlanMethod method)
    {
        var plan = KernelCheck.MatchesReference(fixture, Heads, FiveLeaves, method, log: log);
        if (method != PlanMethod.Sequence)
        {
            // Sequence items always hold one query (4 rows); the KV-guided ones put 20 rows in the root's item.
            plan.Items.ToArray().Max(i => i.QueryCount * Heads.GroupSize).Should().BeGreaterThan(PartialAttentionKernel.RowsPerTask);
        }
    }
}
