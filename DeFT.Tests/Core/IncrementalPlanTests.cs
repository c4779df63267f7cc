using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>A plan of a tree edited by fork/append/prune/merge equals the plan of the same tree built from scratch (DESIGN.md §5).</summary>
public class IncrementalPlanTests
{
    private sealed class Editor
    {
        private readonly Random rng;
        private readonly List<int> free = new();
        private int nextSlot;

        public Editor(int seed) => rng = new Random(seed);

        public DecodingTree Tree { get; } = new();
        public int Forks, Appends, Prunes, Merges, ReusedSlots;

        /// <summary>Slots for new tokens: mostly freed ones (in random order), else fresh ones with gaps.</summary>
        private int[] Take(int n)
        {
            var result = new int[n];
            for (int i = 0; i < n; i++)
            {
                if (free.Count > 0 && rng.Next(3) > 0)
                {
                    int k = rng.Next(free.Count);
                    result[i] = free[k];
                    free.RemoveAt(k);
                    ReusedSlots++;
                }
                else
                {
                    result[i] = nextSlot;
                    nextSlot += 1 + rng.Next(3);
                }
            }
            return result;
        }

        public void Run(int steps)
        {
            int roots = 1 + rng.Next(3);
            for (int r = 0; r < roots; r++) Tree.AddRoot(Take(1 + rng.Next(8)));
            for (int step = 0; step < steps; step++)
            {
                var live = Tree.PreOrder();
                int node = live[rng.Next(live.Length)];
                switch (rng.Next(12))
                {
                    case < 6:
                        Tree.Fork(node, Take(rng.Next(6)));
                        Forks++;
                        break;
                    case < 8:
                        Tree.Append(node, Take(1 + rng.Next(3)));
                        Appends++;
                        break;
                    case < 10:
                        // Mostly a finished leaf, sometimes a whole branch (only once the tree is big); never the last root.
                        if (Tree.NodeCount < 12 || rng.Next(6) > 0)
                        {
                            var leaves = live.Where(n => Tree.Children(n).Count == 0).ToArray();
                            node = leaves[rng.Next(leaves.Length)];
                        }
                        if (Tree.Parent(node) < 0 && Tree.Roots.Count == 1) break;
                        free.AddRange(Tree.Prune(node));
                        Prunes++;
                        break;
                    default:
                        int parent = Tree.Parent(node);
                        if (parent < 0 || Tree.Children(parent).Any(c => c != node && Tree.Children(c).Count > 0)) break;
                        // Accept this candidate: prune its sibling candidates (leaves), then merge it into the parent.
                        foreach (int sibling in Tree.Children(parent).Where(c => c != node).ToArray()) free.AddRange(Tree.Prune(sibling));
                        Tree.MergeIntoParent(node);
                        Merges++;
                        break;
                }
            }
        }

        /// <summary>Leaves plus some internal nodes (some seeing a prefix only), in random order.</summary>
        public TreeQuery[] Queries()
        {
            var queries = new List<TreeQuery>();
            foreach (int n in Tree.PreOrder())
            {
                int count = Tree.Slots(n).Count;
                bool leaf = Tree.Children(n).Count == 0;
                if (!leaf && rng.Next(3) > 0) continue;
                var q = new TreeQuery(n, rng.Next(4) == 0 ? rng.Next(count + 1) : count);
                if (Tree.PathLength(n) - count + q.VisibleTokens > 0) queries.Add(q);
            }
            return queries.OrderBy(_ => rng.Next()).ToArray();
        }
    }

    private static readonly PlannerOptions[] Options =
        { PlannerOptions.Default, new() { BlockTokens = 7, MaxQueriesPerItem = 3 }, new() { BlockTokens = 1, MaxQueriesPerItem = 64 } };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Plan_after_edits_equals_plan_from_scratch(int seed)
    {
        var editor = new Editor(seed);
        editor.Run(80);
        var tree = editor.Tree;
        var queries = editor.Queries();
        tree.NodeCount.Should().BeGreaterThan(9, $"the edits should leave a real tree behind (f{editor.Forks} a{editor.Appends} p{editor.Prunes} m{editor.Merges})");
        queries.Should().HaveCountGreaterThan(1);

        var (fresh, map) = TreeRebuild.FromPreOrder(tree);
        fresh.NodeCount.Should().Be(tree.NodeCount);
        fresh.TokenCount.Should().Be(tree.TokenCount);
        foreach (var (old, id) in map)
        {
            fresh.Slots(id).Should().Equal(tree.Slots(old));
            fresh.Parent(id).Should().Be(tree.Parent(old) < 0 ? -1 : map[tree.Parent(old)]);
        }
        var freshQueries = queries.Select(q => new TreeQuery(map[q.Node], q.VisibleTokens)).ToArray();

        foreach (var method in PlannerPropertyTests.Methods)
            foreach (var options in Options)
            {
                var edited = TreePlanner.Plan(tree, queries, method, options);
                var scratch = TreePlanner.Plan(fresh, freshQueries, method, options);
                edited.ContentEquals(scratch).Should().BeTrue($"{method} {options} seed {seed}");
                PlanChecks.AssertValid(tree, queries, edited, options, $"edited tree {method} {options} seed {seed}");
            }
    }

    [Fact]
    public void Edit_sequences_exercise_every_operation_and_reuse_slots()
    {
        int forks = 0, appends = 0, prunes = 0, merges = 0, reused = 0;
        for (int seed = 1; seed <= 8; seed++)
        {
            var e = new Editor(seed);
            e.Run(80);
            forks += e.Forks; appends += e.Appends; prunes += e.Prunes; merges += e.Merges; reused += e.ReusedSlots;
        }
        new[] { forks, appends, prunes, merges, reused }.Should().OnlyContain(n => n >= 5);
    }

    [Fact]
    public void Edited_tree_plans_evaluate_like_the_reference()
    {
        var editor = new Editor(21);
        editor.Run(60);
        var queries = editor.Queries();
        int slots = EdgeCaseTrees.SlotCount(editor.Tree);
        var data = AttentionData.Random(new DeFT.Core.HeadConfig(4, 2, 8), queries.Length, slots, 3);
        var expected = ReferenceAttention.Compute(editor.Tree, queries, data);
        foreach (var method in PlannerPropertyTests.Methods)
        {
            var actual = PlanEvaluator.Run(TreePlanner.Plan(editor.Tree, queries, method, Options[1]), data);
            actual.Output.Zip(expected.Output, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThanOrEqualTo(1e-9, method.ToString());
        }
    }

    [Fact]
    public void ContentEquals_notices_any_difference()
    {
        var (tree, queries, _) = new RandomTreeBuilder { Nodes = 10 }.Build(2);
        var plan = TreePlanner.Plan(tree, queries);

        plan.ContentEquals(TreePlanner.Plan(tree, queries)).Should().BeTrue();
        plan.ContentEquals(TreePlanner.Plan(tree, queries, PlanMethod.Node)).Should().BeFalse("the method differs");
        plan.ContentEquals(TreePlanner.Plan(tree, queries, options: new PlannerOptions { BlockTokens = 5 })).Should().BeFalse("the blocks differ");
        plan.ContentEquals(TreePlanner.Plan(tree, queries.Reverse().ToArray())).Should().BeFalse("the caller order differs");

        // Same shape, one visible slot renamed.
        var renamed = TreeRebuild.FromPreOrder(tree);
        int visibleSlot = plan.TokenSlots[0];
        var pre = renamed.Tree.PreOrder();
        var parents = pre.Select(n => renamed.Tree.Parent(n)).ToArray();
        var slotsOf = pre.Select(n => (IReadOnlyList<int>)renamed.Tree.Slots(n).Select(s => s == visibleSlot ? 1_000_000 : s).ToArray()).ToArray();
        var other = DecodingTree.FromParents(parents, slotsOf);
        var otherQueries = queries.Select(q => new TreeQuery(renamed.IdMap[q.Node], q.VisibleTokens)).ToArray();
        TreePlanner.Plan(renamed.Tree, otherQueries).ContentEquals(plan).Should().BeTrue();
        TreePlanner.Plan(other, otherQueries).ContentEquals(plan).Should().BeFalse("a slot differs");
    }
}
