using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>Softmax stability: logits far beyond what exp can take without the running max, and all-equal logits.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class NumericsTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);
    private static readonly TreeCase Tree = TreeCase.FromSpec("1,3_40,20");

    [Theory, AllMethods]
    public void Large_magnitude_logits(PlanMethod method)
    {
        // Q and K uniform in ±16 give logits with a spread of about ±85 and extremes in the hundreds, beyond fp32
        // exp's range (e^88.7): only a running max keeps the softmax finite. V stays in ±1: the output is stored in
        // fp16, whose half-ulp at |x| ≥ 4 is already 2e-3, so large V would test fp16 rounding, not the kernel.
        int seed = KernelCheck.Seed(nameof(Large_magnitude_logits), method);
        var big = AttentionData.Random(Heads, Tree.Queries.Length, Tree.SlotCount, seed, magnitude: 16f);
        var unit = AttentionData.Random(Heads, Tree.Queries.Length, Tree.SlotCount, seed + 1);
        var data = new AttentionData(Heads, Tree.Queries.Length, Tree.SlotCount, big.Q, big.K, unit.V);
        double maxLogit = MaxVisibleLogit(Tree, data);
        log.WriteLine($"largest logit {maxLogit:F1}");
        maxLogit.Should().BeGreaterThan(100, "the test must push logits past exp's fp32 range");
        KernelCheck.MatchesReference(fixture, Heads, Tree, method, new PlannerOptions { BlockTokens = 32 }, data, log);
    }

    [Theory, AllMethods]
    public void All_equal_logits_give_the_mean_of_the_visible_values(PlanMethod method)
    {
        // Magnitude 0: Q = 0 (K and V random), so every logit is 0 and each query's output is the plain mean of the
        // V rows on its path, and its LSE is ln(path length).
        int seed = KernelCheck.Seed(nameof(All_equal_logits_give_the_mean_of_the_visible_values), method);
        var data = AttentionData.Random(Heads, Tree.Queries.Length, Tree.SlotCount, seed, magnitude: 0f);
        data.Q.Should().OnlyContain(x => x == 0f);
        data.V.Should().Contain(x => x != 0f);
        KernelCheck.MatchesReference(fixture, Heads, Tree, method, new PlannerOptions { BlockTokens = 32 }, data, log);

        // The reference agrees with the mean computed directly (so the check above is against the mean).
        var reference = ReferenceAttention.Compute(Tree.Tree, Tree.Queries, data);
        for (int q = 0; q < Tree.Queries.Length; q++)
        {
            var path = ReferenceAttention.PathSlots(Tree.Tree, Tree.Queries[q]);
            for (int h = 0; h < Heads.QueryHeads; h++)
            {
                int kvHead = h / Heads.GroupSize;
                reference.Lse[q * Heads.QueryHeads + h].Should().BeApproximately(Math.Log(path.Count), 1e-12);
                for (int x = 0; x < Heads.HeadDim; x++)
                {
                    double mean = path.Average(s => (double)data.V[data.KvOffset(s, kvHead) + x]);
                    reference.Output[data.QOffset(q, h) + x].Should().BeApproximately(mean, 1e-12);
                }
            }
        }
    }

    private static double MaxVisibleLogit(TreeCase tree, AttentionData data)
    {
        var heads = data.Heads;
        double max = double.NegativeInfinity;
        for (int q = 0; q < data.QueryCount; q++)
            for (int h = 0; h < heads.QueryHeads; h++)
                foreach (int s in ReferenceAttention.PathSlots(tree.Tree, tree.Queries[q]))
                {
                    double dot = 0;
                    long qo = data.QOffset(q, h), ko = data.KvOffset(s, h / heads.GroupSize);
                    for (int x = 0; x < heads.HeadDim; x++) dot += (double)data.Q[qo + x] * data.K[ko + x];
                    max = Math.Max(max, dot * heads.Scale);
                }
        return max;
    }
}
