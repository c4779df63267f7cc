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

    [Fact]
    public void Auto_runs_tensor_cores_in_the_shape_each_plan_needs_and_matches_the_reference()
    {
        var heads = new HeadConfig(4, 1, 64);
        var attention = fixture.For(heads, AttentionKernel.Auto);
        var w = TreeSpec.Build("1,3_24,8");
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 5);
        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data);
        foreach (var (method, streaming, rowsPerTask) in new[] { (PlanMethod.Flatten, false, 64), (PlanMethod.Sequence, true, 16) })
        {
            var plan = TreePlanner.Plan(w.Tree, w.Queries, method);
            using var devicePlan = attention.CreatePlan();
            attention.Upload(devicePlan, plan);
            devicePlan.Kernel.Should().Be(AttentionKernel.TensorCore);
            devicePlan.PackRows.Should().Be(streaming);
            int rows = plan.Items.ToArray().Sum(i => (i.QueryCount * heads.GroupSize + rowsPerTask - 1) / rowsPerTask);
            devicePlan.TaskCount.Should().Be(rows, $"{method} tasks of {rowsPerTask} rows");
            var (output, _) = KernelRunner.Run(attention, plan, data);
            var (maxAbs, rel) = ErrorMetrics.Compare(output, reference.Output);
            maxAbs.Should().BeLessThan(2e-3, $"{method}");
            rel.Should().BeLessThan(1e-3, $"{method}");
        }
    }
}
