using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Support;

namespace DeFT.Tests.Core;

public class DecodingTreeTests
{
    /// <summary>r(0,1,2) → a(3,4) → c(7); r → b(5,6); second root s(8).</summary>
    private static (DecodingTree Tree, int R, int A, int B, int C, int S) Sample()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0, 1, 2 });
        int a = tree.Fork(r, new[] { 3, 4 });
        int b = tree.Fork(r, new[] { 5, 6 });
        int c = tree.Fork(a, new[] { 7 });
        int s = tree.AddRoot(new[] { 8 });
        return (tree, r, a, b, c, s);
    }

    [Fact]
    public void AddRoot_and_Fork_build_ordered_structure()
    {
        var (tree, r, a, b, c, s) = Sample();

        tree.Roots.Should().Equal(r, s);
        tree.Children(r).Should().Equal(a, b);
        tree.Children(a).Should().Equal(c);
        tree.Children(b).Should().BeEmpty();
        tree.Parent(r).Should().Be(-1);
        tree.Parent(c).Should().Be(a);
        tree.Slots(a).Should().Equal(3, 4);
        tree.NodeCount.Should().Be(5);
        tree.TokenCount.Should().Be(9);
        tree.NodeIdBound.Should().Be(5);
        new[] { r, a, b, c, s }.Should().OnlyHaveUniqueItems();
        tree.PathLength(c).Should().Be(6);
        tree.PathLength(s).Should().Be(1);
    }

    [Fact]
    public void Append_adds_tokens_at_the_end()
    {
        var (tree, _, a, _, _, _) = Sample();
        tree.Append(a, 10);
        tree.Append(a, new[] { 12, 11 });
        tree.Append(a, Array.Empty<int>());

        tree.Slots(a).Should().Equal(3, 4, 10, 12, 11);
        tree.TokenCount.Should().Be(12);
    }

    [Fact]
    public void PreOrder_visits_roots_then_children_in_order()
    {
        var (tree, r, a, b, c, s) = Sample();
        int d = tree.Fork(r, new[] { 9 });
        int e = tree.Fork(c, new[] { 10 });

        tree.PreOrder().Should().Equal(r, a, c, e, b, d, s);
    }

    [Fact]
    public void LeafQueries_and_AllNodeQueries_follow_pre_order_and_see_whole_nodes()
    {
        var (tree, r, a, b, c, s) = Sample();
        tree.Append(c, 20);

        tree.LeafQueries().Should().Equal(new TreeQuery(c, 2), new TreeQuery(b, 2), new TreeQuery(s, 1));
        tree.AllNodeQueries().Should().Equal(new TreeQuery(r, 3), new TreeQuery(a, 2), new TreeQuery(c, 2),
            new TreeQuery(b, 2), new TreeQuery(s, 1));
    }

    [Fact]
    public void Prune_returns_exactly_the_subtree_slots_in_pre_order_and_frees_them()
    {
        var (tree, r, a, b, c, s) = Sample();
        int d = tree.Fork(a, new[] { 9, 10 });

        var freed = tree.Prune(a);

        freed.Should().Equal(3, 4, 7, 9, 10);
        tree.IsLive(a).Should().BeFalse();
        tree.IsLive(c).Should().BeFalse();
        tree.IsLive(d).Should().BeFalse();
        tree.Children(r).Should().Equal(b);
        tree.NodeCount.Should().Be(3);
        tree.TokenCount.Should().Be(6);
        tree.PreOrder().Should().Equal(r, b, s);
        // Freed slots can be used again; live ones still cannot.
        int again = tree.Fork(b, new[] { 10, 3, 7 });
        tree.Slots(again).Should().Equal(10, 3, 7);
        FluentActions.Invoking(() => tree.Fork(b, new[] { 5 })).Should().Throw<TreeException>();
    }

    [Fact]
    public void Prune_of_a_root_removes_it_from_the_roots()
    {
        var (tree, r, _, _, _, s) = Sample();

        tree.Prune(r).Should().Equal(0, 1, 2, 3, 4, 7, 5, 6);

        tree.Roots.Should().Equal(s);
        tree.NodeCount.Should().Be(1);
        tree.TokenCount.Should().Be(1);
    }

    [Fact]
    public void Node_ids_stay_stable_and_are_never_reused()
    {
        var (tree, r, a, b, c, s) = Sample();
        tree.Prune(a);
        int d = tree.Fork(r, new[] { 3 });

        d.Should().Be(5);
        tree.NodeIdBound.Should().Be(6);
        tree.Slots(b).Should().Equal(5, 6);
        tree.Slots(s).Should().Equal(8);
        tree.Parent(b).Should().Be(r);
        tree.IsLive(c).Should().BeFalse();
    }

    [Fact]
    public void MergeIntoParent_appends_tokens_and_adopts_grandchildren()
    {
        var (tree, r, a, b, c, _) = Sample();
        int c2 = tree.Fork(c, new[] { 20 });
        int c3 = tree.Fork(c, new[] { 21 });
        int nodesBefore = tree.NodeCount;
        long tokensBefore = tree.TokenCount;

        tree.MergeIntoParent(c);

        tree.IsLive(c).Should().BeFalse();
        tree.Slots(a).Should().Equal(3, 4, 7);
        tree.Children(a).Should().Equal(c2, c3);
        tree.Parent(c2).Should().Be(a);
        tree.Parent(c3).Should().Be(a);
        tree.NodeCount.Should().Be(nodesBefore - 1);
        tree.TokenCount.Should().Be(tokensBefore);
        tree.PathLength(c3).Should().Be(7);
        tree.Children(r).Should().Equal(a, b);
        // The merged slot still belongs to the tree; pruning the parent frees it once.
        FluentActions.Invoking(() => tree.Append(b, 7)).Should().Throw<TreeException>();
        tree.Prune(a).Should().Equal(3, 4, 7, 20, 21);
    }

    [Fact]
    public void Depth_of_2000_and_beyond_needs_no_recursion()
    {
        // Run on a thread with a tiny stack: a recursive walk over 100k nodes would overflow it.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                const int depth = 100_000;
                var tree = new DecodingTree();
                int node = tree.AddRoot(new[] { 0 });
                for (int i = 1; i < depth; i++) node = tree.Fork(node, new[] { i });
                var order = tree.PreOrder();
                order.Should().Equal(Enumerable.Range(0, depth));
                tree.PathLength(node).Should().Be(depth);
                var plan = TreePlanner.Plan(tree, tree.LeafQueries());
                plan.VisiblePairs.Should().Be(depth);
                var rebuilt = DecodingTree.FromParents(Enumerable.Range(-1, depth).ToArray(),
                    Enumerable.Range(0, depth).Select(i => (IReadOnlyList<int>)new[] { i }).ToArray());
                rebuilt.PathLength(depth - 1).Should().Be(depth);
                tree.Prune(0).Should().HaveCount(depth);
                tree.NodeCount.Should().Be(0);
            }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        failure.Should().BeNull();
    }

    [Fact]
    public void Chain_of_2000_plans_and_walks()
    {
        var (tree, queries) = EdgeCaseTrees.Chain(2000);
        tree.PreOrder().Should().HaveCount(2000);
        foreach (var method in new[] { PlanMethod.Flatten, PlanMethod.Node, PlanMethod.Adaptive, PlanMethod.Sequence })
            PlanChecks.AssertValid(tree, queries, TreePlanner.Plan(tree, queries, method), PlannerOptions.Default, method.ToString());
    }

    // ---- bad input ----

    [Fact]
    public void Unknown_node_is_named()
    {
        var (tree, _, _, _, _, _) = Sample();
        foreach (Action act in new Action[]
                 {
                     () => tree.Fork(99, new[] { 100 }), () => tree.Append(-1, 100), () => tree.Prune(5),
                     () => tree.MergeIntoParent(42), () => tree.Slots(7), () => tree.Children(-3), () => tree.Parent(5),
                     () => tree.PathLength(1000),
                 })
            act.Should().Throw<TreeException>().WithMessage("Unknown node *");
        FluentActions.Invoking(() => tree.Fork(99, new[] { 100 })).Should().Throw<TreeException>().WithMessage("Unknown node 99.");
    }

    [Fact]
    public void Removed_node_is_named()
    {
        var (tree, _, a, _, c, _) = Sample();
        tree.Prune(a);
        foreach (Action act in new Action[]
                 {
                     () => tree.Fork(a, new[] { 100 }), () => tree.Append(c, 100), () => tree.Prune(a),
                     () => tree.MergeIntoParent(c), () => tree.Slots(a), () => tree.Parent(c),
                 })
            act.Should().Throw<TreeException>().WithMessage("Node * was removed.");
        tree.IsLive(a).Should().BeFalse();
        tree.IsLive(-1).Should().BeFalse();
        tree.IsLive(99).Should().BeFalse();
    }

    [Fact]
    public void Merged_node_counts_as_removed()
    {
        var (tree, _, _, _, c, _) = Sample();
        tree.MergeIntoParent(c);
        FluentActions.Invoking(() => tree.Append(c, 50)).Should().Throw<TreeException>().WithMessage($"Node {c} was removed.");
    }

    [Fact]
    public void Negative_slot_is_rejected_without_changing_the_tree()
    {
        var (tree, r, a, _, _, _) = Sample();
        FluentActions.Invoking(() => tree.Fork(r, new[] { 30, -2 })).Should().Throw<TreeException>().WithMessage("Slot -2 is negative.");
        FluentActions.Invoking(() => tree.Append(a, -1)).Should().Throw<TreeException>().WithMessage("*negative*");
        FluentActions.Invoking(() => tree.AddRoot(new[] { -5 })).Should().Throw<TreeException>().WithMessage("*-5*negative*");

        tree.NodeCount.Should().Be(5);
        tree.TokenCount.Should().Be(9);
        tree.Slots(a).Should().Equal(3, 4);
        tree.Fork(r, new[] { 30 }).Should().Be(5, "slot 30 was not taken by the failed fork");
    }

    [Fact]
    public void Duplicate_slot_within_one_call_is_rejected()
    {
        var (tree, r, a, _, _, _) = Sample();
        FluentActions.Invoking(() => tree.Fork(r, new[] { 30, 31, 30 })).Should().Throw<TreeException>()
            .WithMessage("Slot 30 appears twice in the new tokens.");
        FluentActions.Invoking(() => tree.Append(a, new[] { 40, 40 })).Should().Throw<TreeException>().WithMessage("*40*twice*");
        tree.Slots(a).Should().Equal(3, 4);
        tree.TokenCount.Should().Be(9);
    }

    [Fact]
    public void Duplicate_slot_against_existing_tokens_is_rejected()
    {
        var (tree, r, a, b, _, _) = Sample();
        FluentActions.Invoking(() => tree.Fork(r, new[] { 30, 5 })).Should().Throw<TreeException>()
            .WithMessage("Slot 5 is already used by another token of the tree.");
        FluentActions.Invoking(() => tree.Append(b, 4)).Should().Throw<TreeException>().WithMessage("*4*already used*");
        FluentActions.Invoking(() => tree.Append(a, 3)).Should().Throw<TreeException>().WithMessage("*3*already used*");
        FluentActions.Invoking(() => tree.AddRoot(new[] { 8 })).Should().Throw<TreeException>().WithMessage("*8*already used*");
        tree.Children(r).Should().HaveCount(2);
        tree.Roots.Should().HaveCount(2);
    }

    [Fact]
    public void Merge_of_a_root_is_rejected()
    {
        var (tree, r, _, _, _, _) = Sample();
        FluentActions.Invoking(() => tree.MergeIntoParent(r)).Should().Throw<TreeException>()
            .WithMessage($"Node {r} is a root*");
        tree.IsLive(r).Should().BeTrue();
    }

    [Fact]
    public void Merge_when_the_parent_has_other_children_is_rejected()
    {
        var (tree, r, a, b, _, _) = Sample();
        FluentActions.Invoking(() => tree.MergeIntoParent(a)).Should().Throw<TreeException>()
            .WithMessage($"Node {a} cannot be merged into node {r}: the parent has 2 children*");
        tree.Slots(r).Should().Equal(0, 1, 2);
        tree.IsLive(a).Should().BeTrue();
        // After pruning the sibling the merge is allowed.
        tree.Prune(b);
        tree.MergeIntoParent(a);
        tree.Slots(r).Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public void Null_slots_are_rejected()
    {
        var tree = new DecodingTree();
        FluentActions.Invoking(() => tree.AddRoot(null!)).Should().Throw<ArgumentNullException>();
    }

    // ---- FromParents ----

    private static IReadOnlyList<int>[] Lists(params int[][] lists) => lists;

    [Fact]
    public void FromParents_builds_the_forest_with_children_in_id_order()
    {
        var tree = DecodingTree.FromParents(new[] { -1, 0, 0, 1, -1 },
            Lists(new[] { 0, 1 }, new[] { 2 }, new[] { 3, 4 }, new[] { 5 }, new[] { 6 }));

        tree.NodeCount.Should().Be(5);
        tree.Roots.Should().Equal(0, 4);
        tree.Children(0).Should().Equal(1, 2);
        tree.Children(1).Should().Equal(3);
        tree.Slots(2).Should().Equal(3, 4);
        tree.PreOrder().Should().Equal(0, 1, 3, 2, 4);
    }

    [Fact]
    public void FromParents_keeps_array_indices_as_node_ids_when_children_come_first()
    {
        // Node 1 hangs under node 2, which comes later in the array; node i must still be id i.
        var tree = DecodingTree.FromParents(new[] { -1, 2, 0, 1 },
            Lists(new[] { 10 }, new[] { 11 }, new[] { 12 }, new[] { 13 }));

        tree.Slots(1).Should().Equal(11);
        tree.Slots(2).Should().Equal(12);
        tree.Parent(1).Should().Be(2);
        tree.Parent(3).Should().Be(1);
        tree.Children(2).Should().Equal(1);
        tree.PreOrder().Should().Equal(0, 2, 1, 3);
    }

    [Fact]
    public void FromParents_rejects_null_arrays_and_slot_lists()
    {
        FluentActions.Invoking(() => DecodingTree.FromParents(null!, null!)).Should().Throw<ArgumentNullException>().WithParameterName("parents");
        FluentActions.Invoking(() => DecodingTree.FromParents(new[] { -1 }, null!)).Should().Throw<ArgumentNullException>().WithParameterName("slots");
        FluentActions.Invoking(() => DecodingTree.FromParents(new[] { -1, 0 }, Lists(new[] { 0 }, null!)))
            .Should().Throw<ArgumentNullException>().WithParameterName("slots").WithMessage("The slot list of node 1 is null.*");
    }

    [Theory]
    [InlineData(new[] { -1, 5 }, "Node 1 has unknown parent 5.")]
    [InlineData(new[] { -1, 0, -2 }, "Node 2 has unknown parent -2.")]
    [InlineData(new[] { 2, -1 }, "Node 0 has unknown parent 2.")]
    public void FromParents_rejects_unknown_parents(int[] parents, string message)
    {
        var slots = parents.Select((_, i) => (IReadOnlyList<int>)new[] { i }).ToArray();
        FluentActions.Invoking(() => DecodingTree.FromParents(parents, slots)).Should().Throw<TreeException>().WithMessage(message);
    }

    [Theory]
    [InlineData(new[] { -1, 2, 3, 1 })]
    [InlineData(new[] { 1, 0 })]
    [InlineData(new[] { -1, 0, 2 })]
    [InlineData(new[] { 0 })]
    public void FromParents_rejects_cycles_and_self_loops(int[] parents)
    {
        var slots = parents.Select((_, i) => (IReadOnlyList<int>)new[] { i }).ToArray();
        FluentActions.Invoking(() => DecodingTree.FromParents(parents, slots)).Should().Throw<TreeException>()
            .WithMessage("The parent array has a cycle through node *");
    }

    [Fact]
    public void FromParents_rejects_mismatched_lengths_and_bad_slots()
    {
        FluentActions.Invoking(() => DecodingTree.FromParents(new[] { -1, 0 }, Lists(new[] { 0 }))).Should().Throw<TreeException>()
            .WithMessage("Parent array has 2 entries but 1 slot lists were given.");
        FluentActions.Invoking(() => DecodingTree.FromParents(new[] { -1, 0 }, Lists(new[] { 0 }, new[] { 0 }))).Should()
            .Throw<TreeException>().WithMessage("*0*already used*");
        FluentActions.Invoking(() => DecodingTree.FromParents(new[] { -1 }, Lists(new[] { -4 }))).Should()
            .Throw<TreeException>().WithMessage("*-4*negative*");
    }

    [Fact]
    public void FromParents_of_nothing_is_an_empty_forest()
    {
        var tree = DecodingTree.FromParents(Array.Empty<int>(), Array.Empty<IReadOnlyList<int>>());
        tree.NodeCount.Should().Be(0);
        tree.PreOrder().Should().BeEmpty();
    }
}
