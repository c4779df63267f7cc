using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;

namespace DeFT.Tests.Core;

/// <summary>Named workloads, Medusa token trees and reasoning-template snapshots.</summary>
public class WorkloadBuilderTests
{
    private static readonly Dictionary<int, int[]> MedusaWidths = new()
    {
        // data/README.md, per depth below the root candidate.
        [32] = new[] { 4, 8, 16, 3 }, [64] = new[] { 10, 28, 23, 2 }, [128] = new[] { 5, 20, 80, 22 }, [256] = new[] { 6, 30, 150, 69 },
    };

    public static TheoryData<string> Names() => new(NamedWorkloads.Names);

    private const string NoData = "/nonexistent/deft-test-data";

    // ---- named workloads ----

    [Fact]
    public void Names_are_the_design_workloads()
    {
        NamedWorkloads.Names.Should().Equal(
            "A_fewshot_b20", "A_fewshot_b50", "B_spec_P4k_T64", "B_spec_P4k_T256", "B_spec_P16k_T64", "B_spec_P16k_T256",
            "C_reason_sorting", "C_reason_docmerge", "D_pat_1,10_4096,416", "D_pat_1,256_256,32",
            "D_pat_1,4,16,64,256,1024_256,32,256,64,32,256", "D_pat_256_4096");
    }

    [DataTheory]
    [MemberData(nameof(Names))]
    public void Every_named_workload_builds_from_real_data_and_plans(string name)
    {
        var w = NamedWorkloads.Build(name);
        w.Name.Should().Be(name);
        w.Synthetic.Should().BeFalse(w.Description);
        w.Queries.Should().NotBeEmpty();
        var plan = TreePlanner.Plan(w.Tree, w.Queries);
        plan.QueryCount.Should().Be(w.Queries.Length);
        plan.MaxSlot.Should().BeLessThan(w.SlotCount);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_named_workload_builds_without_data_and_says_when_it_is_synthetic(string name)
    {
        var w = NamedWorkloads.Build(name, NoData);
        w.Synthetic.Should().Be(name.StartsWith("B_", StringComparison.Ordinal) || name.StartsWith("C_", StringComparison.Ordinal));
        if (w.Synthetic) w.Description.Should().Contain("synthetic");
        TreePlanner.Plan(w.Tree, w.Queries).QueryCount.Should().Be(w.Queries.Length);
    }

    [Fact]
    public void Fewshot_workloads_are_a_prompt_with_b_children()
    {
        var b20 = NamedWorkloads.Build("A_fewshot_b20");
        b20.Tree.NodeCount.Should().Be(21);
        b20.Tree.TokenCount.Should().Be(4000 + 20 * 200);
        b20.Queries.Should().HaveCount(20).And.OnlyContain(q => q.VisibleTokens == 200 && b20.Tree.PathLength(q.Node) == 4200);
        NamedWorkloads.Build("A_fewshot_b50").Queries.Should().HaveCount(50);
    }

    [Fact]
    public void Pattern_workloads_accept_any_spec_and_unknown_names_are_rejected()
    {
        var w = NamedWorkloads.Build("D_pat_2,3_5,1");
        w.Tree.Roots.Should().HaveCount(2);
        w.Tree.TokenCount.Should().Be(13);
        FluentActions.Invoking(() => NamedWorkloads.Build("E_nope")).Should().Throw<ArgumentException>().WithMessage("Unknown workload 'E_nope'*");
        FluentActions.Invoking(() => NamedWorkloads.Build("D_pat_1_2_3")).Should().Throw<FormatException>();
        FluentActions.Invoking(() => NamedWorkloads.Build(null!)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData("B_spec_P4k_T64", 4000, 64)]
    [InlineData("B_spec_P16k_T256", 16000, 256)]
    public void Synthetic_speculative_workloads_keep_the_per_depth_widths(string name, int prompt, int size)
    {
        var w = NamedWorkloads.Build(name, NoData);
        AssertSpeculativeShape(w, prompt, size);
    }

    [DataTheory]
    [InlineData("B_spec_P4k_T64", 4000, 64)]
    [InlineData("B_spec_P4k_T256", 4000, 256)]
    [InlineData("B_spec_P16k_T64", 16000, 64)]
    [InlineData("B_spec_P16k_T256", 16000, 256)]
    public void Speculative_workloads_are_prompt_plus_every_candidate_as_a_query(string name, int prompt, int size)
    {
        var w = NamedWorkloads.Build(name);
        w.Description.Should().Contain($"APPS_tree_size{size}.json");
        AssertSpeculativeShape(w, prompt, size);
    }

    private static void AssertSpeculativeShape(Workload w, int prompt, int size)
    {
        var tree = w.Tree;
        tree.Roots.Should().HaveCount(1);
        int root = tree.Roots[0];
        tree.Slots(root).Should().HaveCount(prompt);
        tree.NodeCount.Should().Be(1 + size);
        w.Queries.Should().HaveCount(size).And.OnlyContain(q => q.VisibleTokens == 1 && tree.Slots(q.Node).Count == 1);
        w.Queries.Select(q => q.Node).Should().OnlyHaveUniqueItems().And.NotContain(root);
        // Depth below the root candidate (the prompt's only child).
        var widths = new int[5];
        foreach (var q in w.Queries) widths[(int)(tree.PathLength(q.Node) - prompt - 1)]++;
        widths[0].Should().Be(1);
        widths[1..].Should().Equal(MedusaWidths[size]);
    }

    // ---- Medusa ----

    [DataTheory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(256)]
    public void Medusa_files_give_the_documented_candidates_and_widths(int size)
    {
        var file = Path.Combine(SharedData.Require(), "speculative", $"APPS_tree_size{size}.json");
        var choices = MedusaTree.Load(file);

        choices.Paths.Should().HaveCount(size - 1, "the root token is the empty path");
        choices.Paths.GroupBy(p => p.Length).OrderBy(g => g.Key).Select(g => g.Count()).Should().Equal(MedusaWidths[size]);
        choices.AcceptLengths.Should().NotBeEmpty();
        double meanAccept = choices.AcceptLengths.SelectMany(a => a).Average();
        meanAccept.Should().BeInRange(3, 6, "data/README.md: mean about 4.3");

        var (tree, prompt, candidates) = MedusaTree.Build(100, choices.Paths);
        candidates.Should().HaveCount(size).And.OnlyHaveUniqueItems();
        tree.Parent(candidates[0]).Should().Be(prompt);
        tree.Slots(prompt).Should().HaveCount(100);
        tree.TokenCount.Should().Be(100 + size);
    }

    [Fact]
    public void Medusa_build_links_each_path_to_its_prefix()
    {
        int[][] paths = { new[] { 1 }, new[] { 0, 0 }, new[] { 0 }, new[] { 1, 0 }, new[] { 0, 0, 0 } };
        var (tree, prompt, candidates) = MedusaTree.Build(3, paths);

        // Shorter paths first, file order otherwise: [1], [0], [0,0], [1,0], [0,0,0].
        candidates.Should().HaveCount(6);
        int rootToken = candidates[0];
        tree.Parent(rootToken).Should().Be(prompt);
        tree.Children(rootToken).Should().Equal(candidates[1], candidates[2]);
        tree.Parent(candidates[3]).Should().Be(candidates[2]); // [0,0] under [0]
        tree.Parent(candidates[4]).Should().Be(candidates[1]); // [1,0] under [1]
        tree.Parent(candidates[5]).Should().Be(candidates[3]); // [0,0,0] under [0,0]
    }

    [Fact]
    public void Medusa_build_rejects_bad_choice_lists()
    {
        FluentActions.Invoking(() => MedusaTree.Build(4, new[] { Array.Empty<int>() })).Should().Throw<FormatException>().WithMessage("*empty*");
        FluentActions.Invoking(() => MedusaTree.Build(4, new[] { new[] { 0, 1 } })).Should().Throw<FormatException>()
            .WithMessage("*[0,1] has no parent path [0]*");
        FluentActions.Invoking(() => MedusaTree.Build(4, new[] { new[] { 0 }, new[] { 0 } })).Should().Throw<FormatException>()
            .WithMessage("*[0] appears twice*");
    }

    [Fact]
    public void Synthetic_paths_have_the_given_widths_and_valid_parents()
    {
        var paths = MedusaTree.SyntheticPaths(new[] { 3, 5, 2 });
        paths.GroupBy(p => p.Length).OrderBy(g => g.Key).Select(g => g.Count()).Should().Equal(3, 5, 2);
        paths.Select(p => string.Join(',', p)).Should().OnlyHaveUniqueItems();
        var keys = paths.Select(p => string.Join(',', p)).Append("").ToHashSet();
        paths.Select(p => string.Join(',', p.Take(p.Length - 1))).Should().OnlyContain(parent => keys.Contains(parent));
        MedusaTree.Build(1, paths).Candidates.Should().HaveCount(11);
    }

    // ---- reasoning templates ----

    private static ReasoningTree.Template[] LoadReasoning(string file) =>
        ReasoningTree.Load(Path.Combine(SharedData.Require(), "reasoning", file));

    [DataTheory]
    [InlineData("sorting128ToT.json")]
    [InlineData("docmergeToT.json")]
    public void Reasoning_snapshots_query_exactly_the_growing_leaves(string file)
    {
        var templates = LoadReasoning(file).Where(t => !t.Incomplete).Take(4).ToArray();
        templates.Should().NotBeEmpty();
        foreach (var template in templates)
        {
            int last = template.LastIteration;
            var iterations = Enumerable.Range(0, 24).Select(k => k * last / 23).Append(1).Append(last / 2).Distinct();
            foreach (int it in iterations)
            {
                var (tree, queries) = ReasoningTree.Snapshot(template, it);
                string where = $"{file} iteration {it}";
                var growing = template.Nodes.Values.Where(n => n.Start <= it && it <= n.End).ToArray();

                queries.Should().HaveCount(growing.Length, where);
                queries.Select(q => q.VisibleTokens).Order().Should().Equal(growing.Select(n => it - n.Start + 1).Order(), where);
                var leaves = tree.PreOrder().Where(n => tree.Children(n).Count == 0).ToArray();
                queries.Select(q => q.Node).Should().BeEquivalentTo(leaves, where + ": the queries are exactly the leaves");
                queries.Should().OnlyContain(q => q.VisibleTokens == tree.Slots(q.Node).Count && q.VisibleTokens > 0, where);
                tree.PreOrder().SelectMany(n => tree.Slots(n)).Should().Equal(Enumerable.Range(0, (int)tree.TokenCount), where);
                if (queries.Length > 0)
                    TreePlanner.Plan(tree, queries).QueryCount.Should().Be(queries.Length);
            }
            var (after, none) = ReasoningTree.Snapshot(template, last + 1);
            after.NodeCount.Should().Be(0);
            none.Should().BeEmpty();
        }
    }

    [DataFact]
    public void Reasoning_files_load_with_their_templates()
    {
        var sorting = LoadReasoning("sorting128ToT.json");
        sorting.Should().HaveCount(100);
        sorting.Should().Contain(t => t.Incomplete).And.Contain(t => !t.Incomplete);
        var first = sorting.First(t => !t.Incomplete);
        first.Nodes.Should().HaveCount(101);
        first.Nodes[first.Root].Length.Should().Be(1104, "the root's value is the prompt length");
        first.LastIteration.Should().Be(3708);
    }

    [DataFact]
    public void Docmerge_loads_despite_its_zero_length_nodes()
    {
        var templates = LoadReasoning("docmergeToT.json");
        templates.Should().HaveCount(50);
        var zeroLength = templates.SelectMany((t, i) => t.Nodes.Values.Where(n => n.Start > n.End).Select(n => (Template: i, Node: n))).ToArray();
        zeroLength.Should().HaveCount(2);
        foreach (var (index, node) in zeroLength)
        {
            node.Length.Should().Be(0);
            var template = templates[index];
            foreach (int it in new[] { node.Start - 1, node.Start, node.End, node.Start + 1 }.Where(i => i >= 0))
            {
                var (tree, queries) = ReasoningTree.Snapshot(template, it);
                if (queries.Length == 0) continue;
                PlanChecks.AssertValid(tree, queries, TreePlanner.Plan(tree, queries), PlannerOptions.Default, $"docmerge template {index} iteration {it}");
            }
        }
        var w = NamedWorkloads.Build("C_reason_docmerge");
        w.Synthetic.Should().BeFalse();
        w.Description.Should().Contain("docmergeToT.json");
    }
}
