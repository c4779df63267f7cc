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

    [Theory, AllMethods]
    public void Logits_that_rise_along_the_path_and_jump(PlanMethod method)
    {
        // Logits that climb by 0.1 per token (4.6 log2 units per 32-token tile: below the tensor-core kernel's 8-unit
        // rescale threshold on one tile, past it over two), then jump by 40 two thirds of the way along the shared
        // node: the kernels must keep probabilities relative to a reference maximum that lags the true one, rescale
        // when it jumps, and still match the reference. Q is all ones; K row = r / (D · scale) in every dim, so the
        // logit of a token is r exactly (up to fp16 rounding of K); V random in ±1.
        var tree = TreeCase.FromSpec("1,2_200,40");
        int seed = KernelCheck.Seed(nameof(Logits_that_rise_along_the_path_and_jump), method);
        var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, seed);
        Array.Fill(data.Q, 1f);
        foreach (var query in tree.Queries)
        {
            var path = ReferenceAttention.PathSlots(tree.Tree, query);
            for (int i = 0; i < path.Count; i++)
            {
                double logit = 0.1 * i + (i >= 133 ? 40 : 0);
                float k = (float)(Half)(logit / (Heads.HeadDim * Heads.Scale));
                for (int kvHead = 0; kvHead < Heads.KvHeads; kvHead++)
                    Array.Fill(data.K, k, (int)data.KvOffset(path[i], kvHead), Heads.HeadDim);
            }
        }
        MaxVisibleLogit(tree, data).Should().BeGreaterThan(60, "the jump must be in the data");
        KernelCheck.MatchesReference(fixture, Heads, tree, method, new PlannerOptions(), data, log);
    }

    [Theory]
    [InlineData(PlanMethod.Flatten, true, 64, 4, 1)]
    [InlineData(PlanMethod.Flatten, false, 64, 4, 1)]
    [InlineData(PlanMethod.Node, true, 64, 4, 1)]
    [InlineData(PlanMethod.Sequence, true, 64, 4, 1)]
    [InlineData(PlanMethod.Flatten, null, 128, 4, 1)]
    [InlineData(PlanMethod.Node, null, 96, 4, 1)]
    [InlineData(PlanMethod.Flatten, null, 64, 6, 2)]
    public void Merges_of_more_than_32_partials(PlanMethod method, bool? rising, int headDim, int queryHeads, int kvHeads)
    {
        // 4-token blocks over a 160-token prompt give every query over 40 partials, which the merge takes in batches
        // of 32. Logits that rise by 0.25 per token put each query's largest LSE in its last batch, so the sums of the
        // first batch must be rescaled when the second raises M; falling logits put it in the first. Random keys (null)
        // weigh every partial alike, so a partial the merge skips shows: a batch's 32 partials take several rounds of loads.
        // A warp merges 4 heads at D 64 (6 heads: its second warp has two without a row), 2 at D 128 and 96 (where 4
        // lanes of each 16 hold no dims).
        var heads = new HeadConfig(queryHeads, kvHeads, headDim);
        var tree = TreeCase.FromSpec("1,2_160,6");
        int seed = KernelCheck.Seed(nameof(Merges_of_more_than_32_partials), method, rising, headDim, queryHeads, kvHeads);
        var data = AttentionData.Random(heads, tree.Queries.Length, tree.SlotCount, seed);
        if (rising is bool up)
        {
            Array.Fill(data.Q, 1f);
            foreach (var query in tree.Queries)
            {
                var path = ReferenceAttention.PathSlots(tree.Tree, query);
                for (int i = 0; i < path.Count; i++)
                {
                    double logit = 0.25 * (up ? i : path.Count - i);
                    float k = (float)(Half)(logit / (heads.HeadDim * heads.Scale));
                    for (int kvHead = 0; kvHead < heads.KvHeads; kvHead++)
                        Array.Fill(data.K, k, (int)data.KvOffset(path[i], kvHead), heads.HeadDim);
                }
            }
        }
        var plan = KernelCheck.MatchesReference(fixture, heads, tree, method, new PlannerOptions { BlockTokens = 4 }, data, log);
        Enumerable.Range(0, tree.Queries.Length).Max(q => plan.PartialsOf(q).Length).Should().BeGreaterThan(32,
            "the merge must take more than one batch");
    }

    [Theory, AllMethods]
    public void Rows_that_see_no_token_of_a_tile_beside_rows_that_do(PlanMethod method)
    {
        // GQA 8: a lane's two rows (g and g + 8) are neighbouring queries, so with blocks that straddle leaves one row
        // sees the tile while the other has seen nothing yet (its maximum still -inf) and sees tokens only later.
        var heads = new HeadConfig(16, 2, 64);
        var tree = TreeCase.FromSpec("1,8_40,48");
        int seed = KernelCheck.Seed(nameof(Rows_that_see_no_token_of_a_tile_beside_rows_that_do), method);
        var data = AttentionData.Random(heads, tree.Queries.Length, tree.SlotCount, seed);
        KernelCheck.MatchesReference(fixture, heads, tree, method, new PlannerOptions { BlockTokens = 80 }, data, log);
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
