using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Workloads;

namespace DeFT.Tests.Kernels;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class SmokeTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Sequence)]
    public void Matches_reference_on_a_small_tree(PlanMethod method)
    {
        var heads = new HeadConfig(8, 2, 64);
        var w = TreeSpec.Build("1,3_40,20");
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 1);
        var plan = TreePlanner.Plan(w.Tree, w.Queries, method, new PlannerOptions { BlockTokens = 16 });
        var (output, lse) = KernelRunner.Run(fixture.For(heads), plan, data);
        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data);
        var (maxAbs, rel) = ErrorMetrics.Compare(output, reference.Output);
        maxAbs.Should().BeLessThan(2e-3);
        rel.Should().BeLessThan(1e-3);
        ErrorMetrics.Compare(lse, reference.Lse).MaxAbs.Should().BeLessThan(1e-3);
    }
}
