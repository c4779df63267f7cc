using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Workloads;

namespace DeFT.Tests.Kernels;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelChoiceTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Plans_whose_tokens_serve_about_one_query_are_streaming()
    {
        var w = TreeSpec.Build("1,8_64,8");
        TreeAttention.IsStreaming(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten)).Should().BeFalse();
        TreeAttention.IsStreaming(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence)).Should().BeTrue();
        var forest = TreeSpec.Build("4_40");
        TreeAttention.IsStreaming(TreePlanner.Plan(forest.Tree, forest.Queries, PlanMethod.Node)).Should().BeTrue();
    }

    /// <summary>
    /// Auto runs tensor cores: a streaming plan (Sequence) in the one-warp shape, 16 rows per task; a plan that shares
    /// KV in the four-warp shape, 64 rows per task, except, when its items of at most 16 rows (leaves of one query at
    /// GQA 4) hold three quarters of its tokens, those items: narrow tasks after the wide ones, run by the one-warp shape
    /// in a second launch (Node on long leaves: one wide and six narrow; on short leaves no split). Every plan matches
    /// the reference. (The rule's size threshold is lowered to reach the split on these small trees.)
    /// </summary>
    [Fact]
    public void Auto_runs_tensor_cores_in_the_shape_each_item_needs_and_matches_the_reference()
    {
        var heads = new HeadConfig(4, 1, 64);
        var attention = fixture.For(heads, AttentionKernel.Auto, narrowOnSmallPlans: true);
        var cases = new[]
        {
            ("1,6_8,6", PlanMethod.Node, false, 1, 6), ("1,6_8,6", PlanMethod.Flatten, false, 1, 0),
            ("1,6_8,6", PlanMethod.Sequence, true, 6, 0), ("1,6_24,8", PlanMethod.Node, false, 7, 0),
        };
        foreach (var (spec, method, streaming, wide, narrow) in cases)
        {
            var w = TreeSpec.Build(spec);
            var plan = TreePlanner.Plan(w.Tree, w.Queries, method);
            using var devicePlan = attention.CreatePlan();
            attention.Upload(devicePlan, plan);
            string because = $"{spec} {method}";
            devicePlan.Kernel.Should().Be(AttentionKernel.TensorCore);
            devicePlan.PackRows.Should().Be(streaming, because);
            devicePlan.WideTaskCount.Should().Be(wide, $"{because}: wide tasks");
            devicePlan.TaskCount.Should().Be(wide + narrow, $"{because}: narrow tasks after the wide ones");
            var tasks = DeFT.Tests.Planning.DevicePlanComparison.Download(devicePlan.Tasks);
            var items = plan.Items.ToArray();
            tasks.Skip(wide).Count(t => t.RowBegin == 0 && items.Contains(t.Item) && t.Item.QueryCount * heads.GroupSize <= 16)
                .Should().Be(narrow, $"{because}: every narrow task is a whole item of the plan, of at most 16 rows");
            MatchesReference(attention, w, plan, seed: 5, because);
        }
        // At the default threshold a tree this small keeps one launch: the second would cost more than it streams.
        var small = TreeSpec.Build("1,6_8,6");
        var nodePlan = TreePlanner.Plan(small.Tree, small.Queries, PlanMethod.Node);
        using var onePass = fixture.For(heads, AttentionKernel.Auto).CreatePlan();
        fixture.For(heads, AttentionKernel.Auto).Upload(onePass, nodePlan);
        onePass.WideTaskCount.Should().Be(onePass.TaskCount, "a small plan is not split");

        // At GQA 1 every item of that tree holds at most 6 rows: all of them run as narrow tasks, in one launch.
        var gqa1 = new HeadConfig(4, 4, 64);
        var allNarrow = fixture.For(gqa1, AttentionKernel.Auto);
        using var narrowOnly = allNarrow.CreatePlan();
        allNarrow.Upload(narrowOnly, nodePlan);
        narrowOnly.PackRows.Should().BeFalse("the root's tokens are shared by six queries");
        narrowOnly.WideTaskCount.Should().Be(0, "no item has more than 16 rows");
        narrowOnly.TaskCount.Should().Be(nodePlan.Items.Length, "one narrow task per item");
        MatchesReference(allNarrow, small, nodePlan, seed: 6, "1,6_8,6 Node at GQA 1");
    }

    // Runs the plan on random data and compares the output with the double-precision reference.
    private static void MatchesReference(TreeAttention attention, Workload w, AttentionPlan plan, int seed, string because)
    {
        var data = AttentionData.Random(attention.Heads, w.Queries.Length, w.SlotCount, seed);
        var (output, _) = KernelRunner.Run(attention, plan, data);
        var (maxAbs, rel) = ErrorMetrics.Compare(output, ReferenceAttention.Compute(w.Tree, w.Queries, data).Output);
        maxAbs.Should().BeLessThan(2e-3, because);
        rel.Should().BeLessThan(1e-3, because);
    }
}
