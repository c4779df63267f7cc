using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Workloads;
using DeFT.Kernels;

namespace DeFT.Tests.Kernels;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelChoiceTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Auto_picks_tensor_cores_for_shared_kv_and_cuda_cores_for_one_query_per_token()
    {
        var w = TreeSpec.Build("1,8_64,8");
        TreeAttention.ChooseKernel(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten)).Should().Be(AttentionKernel.TensorCore);
        TreeAttention.ChooseKernel(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Sequence)).Should().Be(AttentionKernel.CudaCore);
        var forest = TreeSpec.Build("4_40");
        TreeAttention.ChooseKernel(TreePlanner.Plan(forest.Tree, forest.Queries, PlanMethod.Node)).Should().Be(AttentionKernel.CudaCore);
    }

    [Fact]
    public void Auto_runs_each_plan_with_the_kernel_it_picked_and_matches_the_reference()
    {
        var heads = new HeadConfig(4, 1, 64);
        var attention = fixture.For(heads, AttentionKernel.Auto);
        var w = TreeSpec.Build("1,3_24,8");
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 5);
        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data);
        foreach (var (method, expected) in new[] { (PlanMethod.Flatten, AttentionKernel.TensorCore), (PlanMethod.Sequence, AttentionKernel.CudaCore) })
        {
            var plan = TreePlanner.Plan(w.Tree, w.Queries, method);
            TreeAttention.ChooseKernel(plan).Should().Be(expected);
            var (output, _) = KernelRunner.Run(attention, plan, data);
            var (maxAbs, rel) = ErrorMetrics.Compare(output, reference.Output);
            maxAbs.Should().BeLessThan(2e-3, $"{method} on {expected}");
            rel.Should().BeLessThan(1e-3, $"{method} on {expected}");
        }
    }
}
