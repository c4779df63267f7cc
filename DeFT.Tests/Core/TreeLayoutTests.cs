using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Tests.Support;

namespace DeFT.Tests.Core;

/// <summary>The depth-first layout and the interval claim of DESIGN.md §3, checked against a path walk.</summary>
public class TreeLayoutTests
{
    public static TheoryData<string> Shapes() => new(RandomTrees.Shapes.Select(s => s.Name));

    public static TheoryData<string> EdgeCases() => new(EdgeCaseTrees.Names);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Interval_claim_holds_on_random_trees(string shape)
    {
        var builder = RandomTrees.Shapes.Single(s => s.Name == shape).Builder;
        for (int seed = 0; seed < 25; seed++)
        {
            var (tree, queries, _) = builder.Build(seed);
            PlanChecks.AssertIntervalClaim(tree, queries, $"{shape} seed {seed}");
        }
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Interval_claim_holds_on_edge_cases(string name)
    {
        var (tree, queries) = EdgeCaseTrees.Build(name);
        PlanChecks.AssertIntervalClaim(tree, queries, name);
    }

    [Fact]
    public void Masks_of_a_small_fork_match_hand_computation()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 10 });
        int a = tree.Fork(r, new[] { 11 });
        int b = tree.Fork(r, new[] { 12 });
        var layout = new TreeLayout(tree, new[] { new TreeQuery(b, 1), new TreeQuery(a, 1) });

        layout.QueryOrder.ToArray().Should().Equal(1, 0);
        layout.FlatSlots.ToArray().Should().Equal(10, 11, 12);
        layout.FlatVisibility.ToArray().Should().Equal(new QueryRange(0, 2), new QueryRange(0, 1), new QueryRange(1, 2));
    }

    [Fact]
    public void Queries_are_ordered_by_node_pre_order_then_visible_length_then_caller_index()
    {
        var (tree, queries) = EdgeCaseTrees.Build("one-node-many-lengths");
        var layout = new TreeLayout(tree, queries);

        // Caller queries: 0 (n,7) 1 (s,3) 2 (n,3) 3 (m,2) 4 (n,10) 5 (n,7) 6 (r,2) 7 (n,0) 8 (n,1); pre-order r, n, m, s.
        layout.QueryOrder.ToArray().Should().Equal(6, 7, 8, 2, 0, 5, 4, 3, 1);
        layout.PreOrder.Should().Equal(tree.PreOrder());
    }

    [Fact]
    public void Masks_of_a_node_with_several_visible_lengths_match_hand_computation()
    {
        var (tree, queries) = EdgeCaseTrees.Build("one-node-many-lengths");
        var layout = new TreeLayout(tree, queries);

        // Positions: 0 r(2) | 1 n(0) 2 n(1) 3 n(3) 4 n(7) 5 n(7) 6 n(10) | 7 m(2) | 8 s(3).
        var expected = new List<QueryRange>();
        expected.AddRange(Enumerable.Repeat(new QueryRange(0, 9), 2));   // r tokens 0-1: r's own query and everyone below
        expected.AddRange(Enumerable.Repeat(new QueryRange(1, 9), 4));   // r tokens 2-5: not r's query (sees 2)
        expected.Add(new QueryRange(2, 8));                               // n token 0: n(1) onwards + m
        expected.AddRange(Enumerable.Repeat(new QueryRange(3, 8), 2));   // n tokens 1-2
        expected.AddRange(Enumerable.Repeat(new QueryRange(4, 8), 4));   // n tokens 3-6
        expected.AddRange(Enumerable.Repeat(new QueryRange(6, 8), 3));   // n tokens 7-9: only n(10) and m
        expected.AddRange(Enumerable.Repeat(new QueryRange(7, 8), 2));   // m
        expected.AddRange(Enumerable.Repeat(new QueryRange(8, 9), 3));   // s
        layout.FlatVisibility.ToArray().Should().Equal(expected);
        layout.FlatSlots.ToArray().Should().Equal(Enumerable.Range(0, 21));
    }

    [Fact]
    public void Tokens_no_query_sees_are_dropped()
    {
        var tree = new DecodingTree();
        int r = tree.AddRoot(new[] { 0, 1 });
        int a = tree.Fork(r, new[] { 2, 3, 4, 5 });
        int b = tree.Fork(r, new[] { 6, 7 });      // nobody queries b
        tree.Fork(a, new[] { 8 });                 // nor a's child
        var layout = new TreeLayout(tree, new[] { new TreeQuery(a, 3) });

        layout.FlatSlots.ToArray().Should().Equal(0, 1, 2, 3, 4);
        layout.NodeFlatRange(r).Should().Be((0, 2));
        layout.NodeFlatRange(a).Should().Be((2, 5));
        layout.NodeFlatRange(b).Should().Be((5, 5));
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void PathRanges_cover_exactly_the_path_slots_in_path_order(string name)
    {
        var (tree, queries) = EdgeCaseTrees.Build(name);
        var layout = new TreeLayout(tree, queries);
        for (int p = 0; p < layout.QueryCount; p++)
        {
            var fromLayout = layout.PathRanges(p).SelectMany(r => Enumerable.Range(r.Begin, r.End - r.Begin)).Select(t => layout.FlatSlots[t]);
            fromLayout.Should().Equal(ReferenceAttention.PathSlots(tree, layout.QueryAt(p)), $"position {p} of {name}");
        }
    }
}
