using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Workloads;

namespace DeFT.Tests.Kernels;

/// <summary>
/// The tensor-core kernel against the CUDA-core kernel on the same plans and inputs: random trees and forests, every
/// method, both shapes of the tensor-core kernel (streaming plans run its one-warp shape). The two sum in different
/// orders, so they agree to fp16 rounding, and both match the double-precision reference.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelDifferentialTests(CpuAcceleratorFixture fixture)
{
    private static readonly RandomTreeBuilder Forest = new() { Nodes = 8, Roots = 2, MaxTokens = 24, InternalQueryChance = 0.3, PartialQueryChance = 0.3 };

    [Theory, AllMethods]
    public void Tensor_cores_and_cuda_cores_agree_on_random_forests(PlanMethod method)
    {
        var heads = new HeadConfig(8, 2, 64);
        var (tree, queries, slots) = Forest.Build(seed: 17);
        var plan = TreePlanner.Plan(tree, queries, method, new PlannerOptions { BlockTokens = 48 });
        var data = AttentionData.Random(heads, queries.Length, slots, seed: KernelCheck.Seed("differential", method));
        var (cuda, cudaLse) = KernelRunner.Run(fixture.For(heads, AttentionKernel.CudaCore), plan, data);
        var (tensor, tensorLse) = KernelRunner.Run(fixture.For(heads, AttentionKernel.TensorCore), plan, data);
        var reference = ReferenceAttention.Compute(tree, queries, data);
        ErrorMetrics.ShouldMatch(tensor, tensorLse, reference, $"tensor cores, {method}");
        var (maxAbs, rel) = ErrorMetrics.Compare(tensor, cuda.Select(x => (double)x).ToArray());
        maxAbs.Should().BeLessThan(2e-3, $"tensor vs CUDA cores, {method}");
        rel.Should().BeLessThan(1e-3, $"tensor vs CUDA cores, {method}");
        tensorLse.Zip(cudaLse, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-3f, "LSEs agree");
    }
}
