using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>
/// The Adaptive planner with a <see cref="ParallelismTarget"/>: every plan property still holds, a widely shared long node
/// gets fewer (longer) chunks, a small tree is cut until it fills the device, and without a target nothing changes.
/// </summary>
public sealed class AdaptiveTargetTests
{
    private static readonly HeadConfig Heads32x8 = new(32, 8, 128);

    /// <summary>An H200 with the tensor-core kernel at Hq 32 / Hkv 8: 132 SMs × 3 groups of 64 rows.</summary>
    private static readonly ParallelismTarget H200 = ParallelismTarget.For(Heads32x8, 132);

    /// <summary>Targets that pull the search to its ends: one slot (long chunks), a huge device (fine cuts), an exhaustive search.</summary>
    public static readonly (string Name, ParallelismTarget Target)[] Targets =
    {
        ("h200", H200),
        ("one-slot", ParallelismTarget.For(Heads32x8, 1, 1, 16)),
        ("huge", ParallelismTarget.For(new HeadConfig(4, 1, 64), 4096, 8, 16)),
        ("exhaustive", H200 with { MinChunkTokens = 1, MinimumGain = 0, GroupMicroseconds = 0 }),
    };

    public static TheoryData<string, int, int> TargetsAndOptions()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var (name, _) in Targets)
            foreach (int bt in PlannerPropertyTests.BlockTokens)
                foreach (int mq in PlannerPropertyTests.MaxQueries)
                    data.Add(name, bt, mq);
        return data;
    }

    private static PlannerOptions With(string target, int blockTokens = 256, int maxQueries = 64) => new()
    {
        BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries, Target = Targets.Single(t => t.Name == target).Target,
    };

    [Theory]
    [MemberData(nameof(TargetsAndOptions))]
    public void With_a_target_plans_of_random_trees_cover_every_path_exactly(string target, int blockTokens, int maxQueries)
    {
        var options = With(target, blockTokens, maxQueries);
        foreach (var (shape, builder) in RandomTrees.Shapes)
            foreach (int seed in RandomTrees.Seeds)
            {
                var (tree, queries, slotCount) = builder.Build(seed);
                var plan = TreePlanner.Plan(tree, queries, PlanMethod.Adaptive, options);
                plan.Method.Should().Be(PlanMethod.Adaptive);
                plan.MaxSlot.Should().BeLessThan(slotCount);
                PlanChecks.AssertValid(tree, queries, plan, options, $"adaptive target {target} {options} {shape} seed {seed}");
            }
    }

    [Theory]
    [MemberData(nameof(TargetsAndOptions))]
    public void With_a_target_edge_case_plans_cover_every_path_exactly(string target, int blockTokens, int maxQueries)
    {
        var options = With(target, blockTokens, maxQueries);
        foreach (var name in EdgeCaseTrees.Names)
        {
            var (tree, queries) = EdgeCaseTrees.Build(name);
            PlanChecks.AssertValid(tree, queries, TreePlanner.Plan(tree, queries, PlanMethod.Adaptive, options), options,
                $"{name} adaptive target {target} {options}");
        }
    }

    [Fact]
    public void Without_a_target_adaptive_plans_exactly_as_before()
    {
        var models = new[] { PlanCostModel.Default, PlanCostModel.Default with { QueriesPerTile = 1 }, PlanCostModel.For(new HeadConfig(32, 4, 64)) };
        foreach (int bt in PlannerPropertyTests.BlockTokens)
            foreach (int mq in PlannerPropertyTests.MaxQueries)
                foreach (var model in models)
                {
                    var options = new PlannerOptions { BlockTokens = bt, MaxQueriesPerItem = mq, CostModel = model };
                    foreach (var (shape, builder) in RandomTrees.Shapes)
                        foreach (int seed in RandomTrees.Seeds)
                        {
                            var (tree, queries, _) = builder.Build(seed);
                            SameAsLegacy(tree, queries, options, $"{shape} seed {seed}");
                        }
                    foreach (var name in EdgeCaseTrees.Names)
                    {
                        var (tree, queries) = EdgeCaseTrees.Build(name);
                        SameAsLegacy(tree, queries, options, name);
                    }
                }
        foreach (var name in NamedWorkloads.Names)
        {
            var w = NamedWorkloads.Build(name);
            SameAsLegacy(w.Tree, w.Queries, PlannerOptions.Default, name);
        }
    }

    private static void SameAsLegacy(DecodingTree tree, IReadOnlyList<TreeQuery> queries, PlannerOptions options, string context)
    {
        var plan = TreePlanner.Plan(tree, queries, PlanMethod.Adaptive, options);
        var legacy = LegacyAdaptivePlanner.Plan(new TreeLayout(tree, queries), options);
        if (!plan.ContentEquals(legacy))
            Assert.Fail($"{context} {options}: {plan.Items.Length} items, the planner before targets made {legacy.Items.Length}");
    }

    [Fact]
    public void A_long_node_seen_by_many_queries_gets_fewer_chunks_than_BlockTokens_would_give()
    {
        // B_spec_P16k_T256's shape: a 16,000-token prompt under 256 one-token candidates, all of them queries.
        var w = TreeSpec.Build("1,256_16000,1");
        var withTarget = new PlannerOptions { Target = H200 };
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, withTarget);
        var before = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive);
        int PromptChunks(AttentionPlan p) => p.Items.ToArray().Where(i => i.TokenEnd <= 16000).Select(i => (i.TokenBegin, i.TokenEnd)).Distinct().Count();

        PromptChunks(before).Should().Be(63, "⌈16000 / 256⌉ chunks without a target");
        int chunks = PromptChunks(plan);
        chunks.Should().BeLessThan(63);
        plan.Items.ToArray().Max(i => i.TokenCount).Should().BeGreaterThan(withTarget.BlockTokens, "chunks may be longer than BlockTokens");
        // ...but not so few that slots idle: 256 queries × G 4 / 64 rows × 8 KV heads = 128 groups per chunk.
        (chunks * H200.GroupsPerItem(64) * 4).Should().BeGreaterThanOrEqualTo((long)(0.9 * H200.ConcurrentGroups));
        plan.PartialCount.Should().BeLessThan(before.PartialCount / 4, "fewer chunks, fewer partial results");

        var cost = PlannerOptions.Default.CostModel;
        PlanTimeModel.Estimate(plan, H200, cost).TotalMicroseconds.Should().BeLessThan(PlanTimeModel.Estimate(before, H200, cost).TotalMicroseconds);
        PlanChecks.AssertValid(w.Tree, w.Queries, plan, withTarget, "1,256_16000,1");
    }

    [Fact]
    public void With_a_target_a_chunked_node_is_cut_at_whole_tiles()
    {
        // Sequences of 4096 tokens, one query each, on D_pat_256_4096's streaming target at 32:4. Equal chunks (4096 / 3:
        // 1365 or 1366 tokens) would each end in a part-filled 32-token tile; tile-aligned ones (1376, 1376, 1344) do not.
        var streaming = ParallelismTarget.For(new HeadConfig(32, 4, 128), 132, 6, 16);
        var w = TreeSpec.Build("16_4096");
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, new PlannerOptions { Target = streaming });
        foreach (var node in plan.Items.ToArray().GroupBy(i => i.TokenBegin / 4096))
        {
            var sizes = node.Select(i => i.TokenCount).ToArray();
            sizes.Length.Should().BeGreaterThan(1, "the sequences are cut for the device");
            sizes.Sum().Should().Be(4096);
            node.Should().OnlyContain(i => i.TokenBegin % 4096 % streaming.MinChunkTokens == 0, "a chunk starts at a whole tile of its node");
            (sizes.Max() - sizes.Min()).Should().BeLessThanOrEqualTo(streaming.MinChunkTokens, "chunks differ by at most one tile");
        }
        PlanChecks.AssertValid(w.Tree, w.Queries, plan, new PlannerOptions { Target = streaming }, "16_4096");
    }

    [Theory]
    [InlineData(4096, 3, 32)]
    [InlineData(4096, 5, 32)]
    [InlineData(16000, 3, 32)]
    [InlineData(100, 4, 32)]
    [InlineData(97, 3, 32)]
    [InlineData(33, 2, 32)]
    [InlineData(1000, 7, 1)]
    public void Tile_aligned_chunks_cover_the_node_with_tile_counts_one_apart(int length, int chunks, int unit)
    {
        var starts = Enumerable.Range(0, chunks + 1).Select(c => AdaptivePlanner.ChunkStart(length, chunks, c, unit)).ToArray();
        starts[0].Should().Be(0);
        starts[^1].Should().Be(length);
        var sizes = starts.Zip(starts.Skip(1), (a, b) => b - a).ToArray();
        sizes.Should().OnlyContain(n => n > 0, "no chunk is empty");
        long tiles = (length + unit - 1) / unit;
        if (tiles >= chunks)
        {
            starts.Should().OnlyContain(x => x % unit == 0 || x == length, "every chunk starts at a whole tile");
            var tileCounts = sizes.Select(n => (n + unit - 1) / unit).ToArray();
            (tileCounts.Max() - tileCounts.Min()).Should().BeLessThanOrEqualTo(1);
        }
        var (longTokens, longCount, shortTokens) = AdaptivePlanner.ChunkSizes(length, chunks, unit);
        sizes.Should().OnlyContain(n => n <= longTokens, "the estimate counts no chunk shorter than it is");
        if (unit > 1 && tiles >= chunks)
        {
            sizes.Count(n => (n + unit - 1) / unit == longTokens / unit).Should().Be(longCount, "the estimate's longer chunks");
            if (longCount < chunks) sizes.Should().Contain(n => n <= shortTokens);
        }
    }

    [Theory]
    [InlineData("1_4096")]
    [InlineData("4_1000")]
    [InlineData("1,4_3000,500")]
    public void A_small_tree_is_cut_finely_enough_to_fill_the_target(string spec)
    {
        var w = TreeSpec.Build(spec);
        var cost = PlannerOptions.Default.CostModel;
        var before = PlanTimeModel.Estimate(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive), H200, cost);
        var options = new PlannerOptions { Target = H200 };
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, options);
        var after = PlanTimeModel.Estimate(plan, H200, cost);

        before.Groups.Should().BeLessThan(H200.ConcurrentGroups / 2, "with 256-token blocks the tree leaves most slots idle");
        // Chunks are whole tiles (a 4096-token node cut for 396 slots: chunks of 2 or 3 tiles), so the cut that the model
        // prefers may leave a few slots of the one wave idle rather than add a chunk of part-filled tiles.
        after.Groups.Should().BeGreaterThanOrEqualTo((long)(0.8 * H200.ConcurrentGroups), "the tree is cut until it fills the device");
        plan.Items.ToArray().Min(i => i.TokenCount).Should().BeLessThan(options.BlockTokens);
        after.TotalMicroseconds.Should().BeLessThan(before.TotalMicroseconds);
        PlanChecks.AssertValid(w.Tree, w.Queries, plan, options, spec);
    }

    [Fact]
    public void A_tree_that_already_fills_the_target_keeps_its_plan()
    {
        // D_pat_1,256_256,32 at 32:8: 640 groups of 256- and 128-token items; no cut is modelled 3 % faster.
        var w = TreeSpec.Build("1,256_256,32");
        var options = new PlannerOptions { Target = H200 };
        var choice = AdaptivePlanner.ChooseChunkTokens(new TreeLayout(w.Tree, w.Queries), options);
        choice.ChunkTokens.Should().Be(options.BlockTokens);
        choice.Chosen.Should().Be(choice.Baseline);
        TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, options).ContentEquals(TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive))
            .Should().BeTrue();
    }

    [Fact]
    public void The_target_only_changes_adaptive()
    {
        var (tree, queries, _) = new RandomTreeBuilder { Nodes = 30, MaxTokens = 600 }.Build(4);
        var options = new PlannerOptions { Target = ParallelismTarget.For(Heads32x8, 1, 1, 16) };
        foreach (var method in new[] { PlanMethod.Flatten, PlanMethod.Node, PlanMethod.Sequence })
            TreePlanner.Plan(tree, queries, method, options).ContentEquals(TreePlanner.Plan(tree, queries, method)).Should().BeTrue(method.ToString());
        options.MaxItemTokens(PlanMethod.Adaptive).Should().Be(int.MaxValue);
        options.MaxItemTokens(PlanMethod.Flatten).Should().Be(256);
        PlannerOptions.Default.MaxItemTokens(PlanMethod.Adaptive).Should().Be(256);
    }

    [Fact]
    public void Planning_with_a_target_is_deterministic()
    {
        var (tree, queries, _) = new RandomTreeBuilder { Nodes = 40, Roots = 2, MaxTokens = 400 }.Build(7);
        var options = new PlannerOptions { BlockTokens = 64, MaxQueriesPerItem = 3, Target = H200 };
        TreePlanner.Plan(tree, queries, PlanMethod.Adaptive, options).ContentEquals(TreePlanner.Plan(tree, queries, PlanMethod.Adaptive, options))
            .Should().BeTrue();
    }

    [Fact]
    public void Bad_targets_are_rejected()
    {
        var w = TreeSpec.Build("1,2_4,4");
        foreach (var bad in new[]
                 {
                     H200 with { Multiprocessors = 0 }, H200 with { GroupsPerMultiprocessor = 0 }, H200 with { RowsPerTask = 0 },
                     H200 with { KvHeads = 0 }, H200 with { QueryHeadsPerKvHead = 0 }, H200 with { TokenMicroseconds = 0 },
                     H200 with { GroupMicroseconds = -1 }, H200 with { PartialBytesPerMicrosecond = double.NaN }, H200 with { MinChunkTokens = 0 },
                     H200 with { MinimumGain = 1 }, H200 with { Multiprocessors = int.MaxValue },
                     H200 with { Streaming = H200 with { RowsPerTask = 0 } }, H200 with { Streaming = H200 with { Streaming = H200 } },
                 })
        {
            var act = () => TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, new PlannerOptions { Target = bad });
            act.Should().Throw<ArgumentOutOfRangeException>($"{bad} is not a device").WithMessage("*Target*");
        }
        var noTarget = () => AdaptivePlanner.ChooseChunkTokens(new TreeLayout(w.Tree, w.Queries), PlannerOptions.Default);
        noTarget.Should().Throw<ArgumentException>().WithMessage("*no parallelism target*");
    }

    [Fact]
    public void A_tree_that_shares_no_KV_is_cut_for_the_streaming_target()
    {
        // Eight sequences of 2048 tokens, one query each: its plan runs the kernel's streaming shape (6 groups of 16 rows
        // per SM instead of 3 of 64), so it is cut for that shape; a tree whose prompt all queries share keeps the main target.
        var streaming = ParallelismTarget.For(Heads32x8, 132, 6, 16);
        var both = H200 with { Streaming = streaming };
        var lone = TreeSpec.Build("8_2048");
        var shared = TreeSpec.Build("1,8_2048,64");
        AttentionPlan Plan(Workload w, ParallelismTarget target) =>
            TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Adaptive, new PlannerOptions { Target = target });

        Plan(lone, both).ContentEquals(Plan(lone, streaming)).Should().BeTrue("a tree without sharing is cut for the streaming shape");
        Plan(lone, both).ContentEquals(Plan(lone, H200)).Should().BeFalse("the two shapes fill the device with different cuts");
        Plan(shared, both).ContentEquals(Plan(shared, H200)).Should().BeTrue("a shared prompt runs the main shape");
        both.ForSharing(tokens: 100, pairs: 150).Should().BeSameAs(streaming, "1.5 queries per token still stream");
        both.ForSharing(tokens: 100, pairs: 151).Should().BeSameAs(both);
        H200.ForSharing(tokens: 100, pairs: 100).Should().BeSameAs(H200, "no streaming target: one target for every tree");
        both.ToString().Should().Be("132x3x64/132x6x16");
    }

    [Fact]
    public void Groups_per_item_count_tasks_of_rows_per_kv_head()
    {
        H200.ConcurrentGroups.Should().Be(396);
        H200.GroupsPerItem(1).Should().Be(8, "4 rows make one task, once per KV head");
        H200.GroupsPerItem(16).Should().Be(8);
        H200.GroupsPerItem(17).Should().Be(16);
        H200.GroupsPerItem(64).Should().Be(32);
        ParallelismTarget.For(new HeadConfig(32, 32, 128), 132).GroupsPerItem(64).Should().Be(32, "G 1: 64 rows, one task, 32 KV heads");
        ParallelismTarget.For(new HeadConfig(32, 4, 64), 132, 8, 16).TokenMicroseconds.Should().BeApproximately(0.03, 1e-12, "D 64: half the D-128 token time");
        H200.ToString().Should().Be("132x3x64");
    }

    [Fact]
    public void The_time_model_list_schedules_groups_on_the_slots()
    {
        // Three independent 100-token nodes, one query each, on 2 slots of one group each (G 1, Hkv 1): two run at
        // once, the third starts when one ends.
        var w = TreeSpec.Build("3_100");
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Node);
        var target = new ParallelismTarget(1, 2, 64, 1, 1) { TokenMicroseconds = 1, GroupMicroseconds = 5, PartialBytesPerMicrosecond = 10 };
        var cost = new PlanCostModel(KvBytesPerToken: 0, PartialBytesPerQuery: 20, BytesPerPair: 0);
        var e = PlanTimeModel.Estimate(plan, target, cost);
        e.Groups.Should().Be(3);
        e.Waves.Should().Be(1.5);
        e.PassMicroseconds.Should().Be(210, "two waves of 5 + 100 µs");
        e.PartialMicroseconds.Should().Be(6, "3 partials × 20 bytes at 10 bytes/µs");
        e.TotalMicroseconds.Should().Be(216);

        // A device larger than the plan: the pass is the longest group.
        (PlanTimeModel.Estimate(plan, target with { Multiprocessors = 10 }, cost).PassMicroseconds).Should().Be(105);

        // Short groups fill the slot a long one leaves free: [300] and [100, 100, 100] on 2 slots end at 300.
        var scheduler = new PlanTimeModel.Scheduler(target with { GroupMicroseconds = 0 });
        scheduler.Add(300, 1);
        scheduler.Add(100, 1, count: 3);
        scheduler.Finish(0).PassMicroseconds.Should().Be(300);
    }
}
