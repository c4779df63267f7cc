using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>The LSE output is optional: <c>Run</c> without it still writes the whole output.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class OptionalLseTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);

    public static TheoryData<PlanMethod, int> Cases()
    {
        var data = new TheoryData<PlanMethod, int>();
        foreach (var method in Enum.GetValues<PlanMethod>())
        {
            data.Add(method, 256); // Flatten and Sequence: one partial per query, finished by the partial kernel
            data.Add(method, 16);  // several partials per query, finished by the merge kernel
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Run_without_lse_writes_the_output(PlanMethod method, int blockTokens)
    {
        var tree = TreeCase.FromSpec("1,2_24,8");
        var plan = KernelCheck.Plan(tree, method, new PlannerOptions { BlockTokens = blockTokens });
        var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(OptionalLseTests), method, blockTokens));

        var (output, _) = KernelRunner.Run(fixture.For(Heads), plan, data, withLse: false);

        var (maxAbs, rel, _) = ErrorMetrics.ShouldMatch(output, null, ReferenceAttention.Compute(tree.Tree, tree.Queries, data), $"{method}, no LSE");
        log.WriteLine($"{tree.Name}, {method}, blocks of {blockTokens}, no LSE: max partials per query " +
            $"{Enumerable.Range(0, plan.QueryCount).Max(q => plan.PartialsOf(q).Length)}; max|Δ| {maxAbs:E2}, rel L2 {rel:E2}");
    }
}
