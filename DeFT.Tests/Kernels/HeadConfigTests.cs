using DeFT.Core;
using DeFT.Core.Planning;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>GQA ratios 1, 4, 8 and 16 and head dimensions 64 and 128 (DESIGN.md §5), for every plan method.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class HeadConfigTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    // Root of 40 tokens shared by two leaves of 16: a shared item (two queries) and one item per leaf.
    private const string Spec = "1,2_40,16";

    public static TheoryData<PlanMethod, int, int, int> Configs()
    {
        var data = new TheoryData<PlanMethod, int, int, int>();
        foreach (var method in Enum.GetValues<PlanMethod>())
        {
            data.Add(method, 2, 2, 64);   // G = 1 (multi-head attention)
            data.Add(method, 4, 1, 64);   // G = 4
            data.Add(method, 8, 1, 64);   // G = 8: two queries fill one 16-row task
            data.Add(method, 16, 1, 64);  // G = 16: one query per task, shared items need two tasks
            data.Add(method, 4, 2, 128);  // D = 128, G = 2
            data.Add(method, 16, 2, 128); // D = 128, G = 8 with two KV heads
        }
        return data;
    }

    [Theory, MemberData(nameof(Configs))]
    public void Head_configs_match_the_reference(PlanMethod method, int queryHeads, int kvHeads, int headDim)
    {
        var heads = new HeadConfig(queryHeads, kvHeads, headDim);
        KernelCheck.MatchesReference(fixture, heads, TreeCase.FromSpec(Spec), method, new PlannerOptions { BlockTokens = 32 }, log: log);
    }
}
