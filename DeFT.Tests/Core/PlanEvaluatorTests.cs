using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>
/// The merge math: running a plan (partials per work item, LSE merge per query) gives the same attention as the
/// path-walking reference, for every method, GQA ratio, magnitude and edge case.
/// </summary>
public class PlanEvaluatorTests
{
    private const double Tolerance = 1e-9;

    private static readonly (int Hq, int Hkv, int D)[] HeadConfigs = { (4, 1, 8), (4, 4, 8), (8, 2, 16), (16, 1, 8) };

    private static readonly RandomTreeBuilder[] SmallShapes =
    {
        new() { Nodes = 12, MaxTokens = 12 },
        new() { Nodes = 15, Roots = 3, MaxTokens = 6, PartialQueryChance = 0.5 },
        new() { Nodes = 6, MaxTokens = 60, InternalQueryChance = 0.5 },
    };

    private static readonly PlannerOptions[] Options =
    {
        PlannerOptions.Default, new() { BlockTokens = 7, MaxQueriesPerItem = 3 }, new() { BlockTokens = 1, MaxQueriesPerItem = 1 },
    };

    public static TheoryData<PlanMethod, int, int, int> MethodsAndHeads()
    {
        var data = new TheoryData<PlanMethod, int, int, int>();
        foreach (var m in PlannerPropertyTests.Methods)
            foreach (var (hq, hkv, d) in HeadConfigs)
                data.Add(m, hq, hkv, d);
        return data;
    }

    public static TheoryData<string, PlanMethod> SmallEdgeCases()
    {
        var data = new TheoryData<string, PlanMethod>();
        foreach (var name in EdgeCaseTrees.SmallNames)
            foreach (var m in PlannerPropertyTests.Methods)
                data.Add(name, m);
        return data;
    }

    private static void AssertClose(AttentionResult actual, AttentionResult expected, string context)
    {
        actual.Output.Length.Should().Be(expected.Output.Length, context);
        actual.Lse.Length.Should().Be(expected.Lse.Length, context);
        MaxAbsDiff(actual.Output, expected.Output).Should().BeLessThanOrEqualTo(Tolerance, $"output of {context}");
        MaxAbsDiff(actual.Lse, expected.Lse).Should().BeLessThanOrEqualTo(Tolerance, $"LSE of {context}");
    }

    private static double MaxAbsDiff(double[] a, double[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Abs(a[i] - b[i]);
            if (double.IsNaN(diff)) return double.PositiveInfinity;
            max = Math.Max(max, diff);
        }
        return max;
    }

    [Theory]
    [MemberData(nameof(MethodsAndHeads))]
    public void Plan_evaluation_matches_the_reference_on_random_trees(PlanMethod method, int hq, int hkv, int d)
    {
        var heads = new HeadConfig(hq, hkv, d);
        for (int s = 0; s < SmallShapes.Length; s++)
            for (int seed = 1; seed <= 3; seed++)
            {
                var (tree, queries, slotCount) = SmallShapes[s].Build(seed);
                var data = AttentionData.Random(heads, queries.Length, slotCount, seed * 31 + s);
                var expected = ReferenceAttention.Compute(tree, queries, data);
                foreach (var options in Options)
                    AssertClose(PlanEvaluator.Run(TreePlanner.Plan(tree, queries, method, options), data), expected,
                        $"{method} {heads} {options} shape {s} seed {seed}");
            }
    }

    [Theory]
    [InlineData(8, 1, 64)]
    [InlineData(4, 1, 128)]
    [InlineData(8, 8, 256)]
    public void Plan_evaluation_matches_the_reference_at_real_head_dims(int hq, int hkv, int d)
    {
        var heads = new HeadConfig(hq, hkv, d);
        var (tree, queries, slotCount) = new RandomTreeBuilder { Nodes = 6, MaxTokens = 10 }.Build(d);
        var data = AttentionData.Random(heads, queries.Length, slotCount, d);
        var expected = ReferenceAttention.Compute(tree, queries, data);
        foreach (var method in PlannerPropertyTests.Methods)
            AssertClose(PlanEvaluator.Run(TreePlanner.Plan(tree, queries, method, Options[1]), data), expected, $"{method} {heads}");
    }

    [Theory]
    [MemberData(nameof(SmallEdgeCases))]
    public void Plan_evaluation_matches_the_reference_on_edge_cases(string name, PlanMethod method)
    {
        var (tree, queries) = EdgeCaseTrees.Build(name);
        var heads = new HeadConfig(4, 1, 8);
        var data = AttentionData.Random(heads, queries.Length, EdgeCaseTrees.SlotCount(tree), name.Length);
        var expected = ReferenceAttention.Compute(tree, queries, data);
        foreach (var options in Options.Take(2))
            AssertClose(PlanEvaluator.Run(TreePlanner.Plan(tree, queries, method, options), data), expected, $"{name} {method} {options}");
    }

    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    [InlineData(PlanMethod.Sequence)]
    public void Large_logits_merge_stably(PlanMethod method)
    {
        var heads = new HeadConfig(8, 2, 16);
        var (tree, queries, slotCount) = new RandomTreeBuilder { Nodes = 15, MaxTokens = 20 }.Build(11);
        var data = AttentionData.Random(heads, queries.Length, slotCount, 5, magnitude: 30f);
        var expected = ReferenceAttention.Compute(tree, queries, data);
        expected.Lse.Max().Should().BeGreaterThan(100, "magnitude 30 must give logits far beyond exp's comfortable range");
        expected.Output.Should().OnlyContain(x => double.IsFinite(x));
        foreach (var options in Options.Take(2))
            AssertClose(PlanEvaluator.Run(TreePlanner.Plan(tree, queries, method, options), data), expected, $"{method} {options}");
    }

    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    [InlineData(PlanMethod.Sequence)]
    public void Equal_logits_give_the_mean_of_the_visible_values(PlanMethod method)
    {
        var heads = new HeadConfig(4, 2, 8);
        var (tree, queries, slotCount) = new RandomTreeBuilder { Nodes = 15, Roots = 2, MaxTokens = 10, PartialQueryChance = 0.5 }.Build(4);
        var data = AttentionData.Random(heads, queries.Length, slotCount, 9, magnitude: 0f);
        data.Q.Should().OnlyContain(x => x == 0f);
        data.V.Should().Contain(x => x != 0f);

        // Hand formula: all scores are 0, so softmax is uniform: O = mean of visible V rows, LSE = ln(count).
        var mean = new double[queries.Length * heads.QueryHeads * heads.HeadDim];
        var lse = new double[queries.Length * heads.QueryHeads];
        for (int q = 0; q < queries.Length; q++)
        {
            var path = ReferenceAttention.PathSlots(tree, queries[q]);
            for (int h = 0; h < heads.QueryHeads; h++)
            {
                lse[q * heads.QueryHeads + h] = Math.Log(path.Count);
                for (int x = 0; x < heads.HeadDim; x++)
                    mean[(q * heads.QueryHeads + h) * heads.HeadDim + x] =
                        path.Average(s => (double)data.V[data.KvOffset(s, h / heads.GroupSize) + x]);
            }
        }
        var expected = new AttentionResult(mean, lse);
        AssertClose(ReferenceAttention.Compute(tree, queries, data), expected, "reference vs mean");
        foreach (var options in Options)
            AssertClose(PlanEvaluator.Run(TreePlanner.Plan(tree, queries, method, options), data), expected, $"{method} {options}");
    }

    [Fact]
    public void Reference_matches_a_hand_computed_two_token_softmax_and_maps_GQA_heads()
    {
        // Hq 4 / Hkv 2 / D 2: query head h reads KV head h / 2. One root of two tokens (slots 1 and 0).
        var heads = new HeadConfig(4, 2, 2);
        var tree = new DecodingTree();
        int root = tree.AddRoot(new[] { 1, 0 });
        float[] q = { 1, 0, 0, 1, 2, 0, 0, 2 };            // [query 0][head 0..3][d]
        float[] k = { 1, 0, 0, 1, 0, 1, 1, 0 };            // [slot][kv head][d]: slot 0 = (1,0),(0,1); slot 1 = (0,1),(1,0)
        float[] v = { 1, 2, 3, 4, 5, 6, 7, 8 };            // slot 0: kvh0 (1,2) kvh1 (3,4); slot 1: kvh0 (5,6) kvh1 (7,8)
        var data = new AttentionData(heads, 1, 2, q, k, v);

        var result = ReferenceAttention.Compute(tree, new[] { new TreeQuery(root, 2) }, data);

        double scale = 1 / Math.Sqrt(2);
        // head h: scores against slot 1 (first on the path) and slot 0.
        (double S1, double S0, int Kvh)[] cases = { (0, scale, 0), (scale, 0, 0), (2 * scale, 0, 1), (0, 2 * scale, 1) };
        for (int h = 0; h < 4; h++)
        {
            var (s1, s0, kvh) = cases[h];
            double w1 = Math.Exp(s1), w0 = Math.Exp(s0);
            for (int x = 0; x < 2; x++)
            {
                double expected = (w1 * v[(1 * 2 + kvh) * 2 + x] + w0 * v[(0 * 2 + kvh) * 2 + x]) / (w1 + w0);
                result.Output[h * 2 + x].Should().BeApproximately(expected, 1e-12, $"head {h} dim {x}");
            }
            result.Lse[h].Should().BeApproximately(Math.Log(w1 + w0), 1e-12, $"LSE of head {h}");
        }
    }

    [Fact]
    public void Evaluator_and_reference_reject_mismatched_data()
    {
        var heads = new HeadConfig(4, 1, 8);
        var (tree, queries) = EdgeCaseTrees.Build("reused-slots");
        var plan = TreePlanner.Plan(tree, queries);
        int slots = EdgeCaseTrees.SlotCount(tree);

        var fewerQueries = AttentionData.Random(heads, queries.Length - 1, slots, 1);
        FluentActions.Invoking(() => PlanEvaluator.Run(plan, fewerQueries)).Should().Throw<ArgumentException>().WithMessage("*queries*");
        FluentActions.Invoking(() => ReferenceAttention.Compute(tree, queries, fewerQueries)).Should().Throw<ArgumentException>().WithMessage("*queries*");

        var fewerSlots = AttentionData.Random(heads, queries.Length, plan.MaxSlot, 1);
        FluentActions.Invoking(() => PlanEvaluator.Run(plan, fewerSlots)).Should().Throw<ArgumentException>()
            .WithMessage($"*slot {plan.MaxSlot}*");
        FluentActions.Invoking(() => ReferenceAttention.Compute(tree, queries, fewerSlots)).Should().Throw<ArgumentException>()
            .WithMessage($"*{plan.MaxSlot}*outside*");
    }

    [Fact]
    public void AttentionData_rejects_arrays_of_the_wrong_size()
    {
        var heads = new HeadConfig(4, 2, 8);
        float[] Q(int n) => new float[n];
        FluentActions.Invoking(() => new AttentionData(heads, 3, 5, Q(3 * 4 * 8 - 1), Q(5 * 2 * 8), Q(5 * 2 * 8)))
            .Should().Throw<ArgumentException>().WithParameterName("q").WithMessage("q has 95 elements; the shape needs 96.*");
        FluentActions.Invoking(() => new AttentionData(heads, 3, 5, Q(96), Q(5 * 4 * 8), Q(80)))
            .Should().Throw<ArgumentException>().WithParameterName("k");
        FluentActions.Invoking(() => new AttentionData(heads, 3, 5, Q(96), Q(80), Q(81)))
            .Should().Throw<ArgumentException>().WithParameterName("v");
        FluentActions.Invoking(() => new AttentionData(heads, 3, 5, null!, Q(80), Q(80))).Should().Throw<ArgumentNullException>();
        new AttentionData(heads, 3, 5, Q(96), Q(80), Q(80)).SlotCount.Should().Be(5);
    }

    [Fact]
    public void Random_data_is_fp16_exact_within_magnitude_and_seeded()
    {
        var heads = new HeadConfig(4, 2, 8);
        var a = AttentionData.Random(heads, 3, 5, 42, magnitude: 2f);
        var b = AttentionData.Random(heads, 3, 5, 42, magnitude: 2f);
        a.Q.Should().Equal(b.Q);
        a.K.Should().Equal(b.K);
        AttentionData.Random(heads, 3, 5, 43, magnitude: 2f).K.Should().NotEqual(a.K);
        a.Q.Concat(a.K).Concat(a.V).Should().OnlyContain(x => Math.Abs(x) <= 2f && (float)(Half)x == x);
    }
}
