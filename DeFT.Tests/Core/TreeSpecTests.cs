using DeFT.Core.Trees;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>Tree-string specs: parsing, the parent rule ⌊j·n_{l−1}/n_l⌋, forests and bad specs.</summary>
public class TreeSpecTests
{
    [Fact]
    public void Parse_splits_counts_and_tokens()
    {
        var (counts, tokens) = TreeSpec.Parse("1,4,16_1024,256,32");
        counts.Should().Equal(1, 4, 16);
        tokens.Should().Equal(1024, 256, 32);
        TreeSpec.Parse("256_4096").Counts.Should().Equal(256);
        TreeSpec.Parse("1,3_5,0").Tokens.Should().Equal(5, 0);
    }

    [Theory]
    [InlineData("1,4,16_3,2,1")]
    [InlineData("1,10_4096,416")]
    [InlineData("3,7,12_5,9,4")]
    [InlineData("6,4,9_1,0,2")]
    [InlineData("2,5,3,8_2,1,3,1")]
    public void Levels_follow_the_parent_rule_with_consecutive_slots(string spec)
    {
        var (counts, tokens) = TreeSpec.Parse(spec);
        var (tree, levels) = TreeSpec.BuildLevels(spec);

        levels.Select(l => l.Length).Should().Equal(counts);
        tree.Roots.Should().Equal(levels[0], "level 0 holds the roots (a forest when n0 > 1)");
        tree.NodeCount.Should().Be(counts.Sum());
        int nextSlot = 0;
        for (int l = 0; l < counts.Length; l++)
            for (int j = 0; j < counts[l]; j++)
            {
                int node = levels[l][j];
                tree.Slots(node).Should().Equal(Enumerable.Range(nextSlot, tokens[l]), $"level {l} node {j}");
                nextSlot += tokens[l];
                int expectedParent = l == 0 ? -1 : levels[l - 1][j * counts[l - 1] / counts[l]];
                tree.Parent(node).Should().Be(expectedParent, $"level {l} node {j}");
            }
        tree.TokenCount.Should().Be(nextSlot);
    }

    [Fact]
    public void Build_queries_every_leaf_with_its_whole_node()
    {
        // 6,4,9: level-0 nodes j·6/4 = 0,1,3,4 get children, so level-0 nodes 2 and 5 are leaves too.
        var w = TreeSpec.Build("6,4,9_1,3,2");
        var (_, levels) = TreeSpec.BuildLevels("6,4,9_1,3,2");
        w.Name.Should().Be("6,4,9_1,3,2");
        w.Queries.Should().Equal(w.Tree.LeafQueries());
        var leaves = w.Queries.Select(q => q.Node).ToHashSet();
        leaves.Should().Contain(new[] { levels[0][2], levels[0][5] });
        leaves.Should().Contain(levels[2]);
        leaves.Should().HaveCount(2 + 9);
        w.Queries.Should().OnlyContain(q => q.VisibleTokens == w.Tree.Slots(q.Node).Count);
        w.SlotCount.Should().Be(6 + 12 + 18);
        TreeSpec.Build("1,2_5,5", "custom").Name.Should().Be("custom");
    }

    [Fact]
    public void A_first_level_of_several_nodes_is_a_forest()
    {
        var w = TreeSpec.Build("8_50");
        w.Tree.Roots.Should().HaveCount(8);
        w.Queries.Should().HaveCount(8).And.OnlyContain(q => q.VisibleTokens == 50);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1,2")]
    [InlineData("1,2_3")]
    [InlineData("1_2_3")]
    [InlineData("0_5")]
    [InlineData("1,0_5,5")]
    [InlineData("1,a_2,3")]
    [InlineData("-1_5")]
    [InlineData("1_-5")]
    [InlineData("1,_2,3")]
    [InlineData(" 1_2")]
    [InlineData("1_2,")]
    [InlineData("1_+2")]
    [InlineData("1_99999999999")]
    public void Bad_specs_throw_FormatException(string spec)
    {
        FluentActions.Invoking(() => TreeSpec.Parse(spec)).Should().Throw<FormatException>().WithMessage($"*'{spec}'*");
        FluentActions.Invoking(() => TreeSpec.Build(spec)).Should().Throw<FormatException>();
    }

    [Fact]
    public void Null_spec_throws()
    {
        FluentActions.Invoking(() => TreeSpec.Parse(null!)).Should().Throw<ArgumentNullException>();
    }
}
