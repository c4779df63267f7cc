using System.Reflection;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Workloads;
using Xunit.Abstractions;
using Xunit.Sdk;

using DeFT.Kernels;

namespace DeFT.Tests.Kernels;

/// <summary>A tree (or forest), its queries and the number of KV-cache slots it needs.</summary>
public sealed record TreeCase(string Name, DecodingTree Tree, TreeQuery[] Queries, int SlotCount)
{
    /// <summary>The tree of a <see cref="TreeSpec"/> string, queried at its leaves (consecutive slots).</summary>
    public static TreeCase FromSpec(string spec)
    {
        var w = TreeSpec.Build(spec);
        return new TreeCase(spec, w.Tree, w.Queries, w.SlotCount);
    }

    /// <summary>A random tree of <paramref name="builder"/> (scattered slots, mixed queries, shuffled query order).</summary>
    public static TreeCase FromRandom(RandomTreeBuilder builder, int seed)
    {
        var (tree, queries, slots) = builder.Build(seed);
        return new TreeCase($"random(nodes {builder.Nodes}, roots {builder.Roots}, max tokens {builder.MaxTokens}, seed {seed})", tree, queries, slots);
    }
}

/// <summary>Plans a tree, runs the kernels on fresh random inputs and compares with <see cref="ReferenceAttention"/>.</summary>
public static class KernelCheck
{
    /// <summary>Plans <paramref name="tree"/> with <paramref name="method"/> and returns the plan (for assertions about its shape).</summary>
    public static AttentionPlan Plan(TreeCase tree, PlanMethod method, PlannerOptions? options = null) =>
        TreePlanner.Plan(tree.Tree, tree.Queries, method, options);

    /// <summary>
    /// Runs <paramref name="tree"/> with <paramref name="method"/> on <paramref name="data"/> (default: fresh random data
    /// seeded from the case, the method and the options) on both partial-attention kernels and asserts that output and
    /// LSE match the reference.
    /// </summary>
    public static AttentionPlan MatchesReference(CpuAcceleratorFixture fixture, HeadConfig heads, TreeCase tree, PlanMethod method,
        PlannerOptions? options = null, AttentionData? data = null, ITestOutputHelper? log = null)
    {
        var plan = Plan(tree, method, options);
        int seed = Seed(tree.Name, method, heads, options?.BlockTokens, options?.MaxQueriesPerItem);
        string source = data is null ? $"data seed {seed}" : "given data";
        data ??= AttentionData.Random(heads, tree.Queries.Length, tree.SlotCount, seed);
        var reference = ReferenceAttention.Compute(tree.Tree, tree.Queries, data);
        // Every concern runs on both partial-attention kernels (the tensor-core one in the shape the plan picks; the
        // CUDA-core one where it runs the head dimension).
        foreach (var kernel in Kernels)
        {
            if (kernel == AttentionKernel.CudaCore && !TreeAttention.CudaCoreHeadDims.Contains(heads.HeadDim)) continue;
            var (output, lse) = KernelRunner.Run(fixture.For(heads, kernel), plan, data);
            string what = $"{tree.Name}, {method}, {heads}, {kernel}";
            var (maxAbs, rel, lseAbs) = ErrorMetrics.ShouldMatch(output, lse, reference, what);
            log?.WriteLine($"{what}: {plan.Items.Length} items, {KernelRunner.GroupTiles(plan, heads)} group-tiles; " +
                $"max|Δ| {maxAbs:E2}, rel L2 {rel:E2}, LSE |Δ| {lseAbs:E2} ({source})");
        }
        return plan;
    }

    /// <summary>The kernels every reference check runs.</summary>
    public static readonly AttentionKernel[] Kernels = [AttentionKernel.CudaCore, AttentionKernel.TensorCore];

    /// <summary>A seed that is stable across runs (string.GetHashCode is not) and differs between checks.</summary>
    public static int Seed(params object?[] parts)
    {
        uint h = 2166136261;
        foreach (char c in string.Join("|", parts))
            h = (h ^ c) * 16777619;
        return (int)(h & 0x7FFFFFFF);
    }
}

/// <summary>Theory data: every <see cref="PlanMethod"/>.</summary>
public sealed class AllMethodsAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        Enum.GetValues<PlanMethod>().Select(m => new object[] { m });
}
