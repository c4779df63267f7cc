using DeFT.Core.Decoding;
using DeFT.Core.Trees;
using DeFT.Tests.Support;
using DeFT.Workloads;
using DeFT.Workloads.Replays;

namespace DeFT.Tests.Decoding;

/// <summary>The three paper workloads and tree-spec trees replayed on a <see cref="DecodeSession"/>: few-shot, reasoning templates, speculative token trees.</summary>
public class ReplayTests
{
    /// <summary>Pre-order shape of a tree with its queries: (parent's pre-order index, token count) per node, and (pre-order index, visible) per query.</summary>
    private static string Shape(DecodingTree tree, IEnumerable<TreeQuery> queries)
    {
        var pre = tree.PreOrder();
        var index = pre.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i);
        return string.Join(' ', pre.Select(n => $"{(tree.Parent(n) < 0 ? -1 : index[tree.Parent(n)])}:{tree.Slots(n).Count}")) +
            " | " + string.Join(' ', queries.Select(q => $"{index[q.Node]}/{q.VisibleTokens}"));
    }

    [Fact]
    public void Few_shot_grows_every_branch_by_one_token_per_step()
    {
        var replay = new FewShotReplay(promptTokens: 10, branches: 3, steps: 5);
        var session = new DecodeSession(new SlotPool(100));

        replay.Start(session);
        session.TakeNewSlots().Should().HaveCount(10);
        for (int step = 0; step < replay.Steps; step++)
        {
            replay.Step(session, step);
            session.TakeNewSlots().Should().HaveCount(3);
            session.Queries().Should().HaveCount(3).And.OnlyContain(q => q.VisibleTokens == step + 1);
            session.Pool.InUse.Should().Be(10 + 3 * (step + 1));
        }
        FluentActions.Invoking(() => new FewShotReplay(10, 0, 5)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void A_tree_spec_replay_builds_the_spec_tree_and_grows_every_leaf_by_one_token_per_step()
    {
        const string spec = "1,3,5_4,2,3";
        var replay = new TreeSpecReplay(spec, steps: 3);
        var session = new DecodeSession(new SlotPool(100));
        var expected = TreeSpec.Build(spec);

        replay.Start(session);
        Shape(session.Tree, session.Queries()).Should().Be(Shape(expected.Tree, expected.Queries), "the prefill is the spec's tree with its leaves as queries");
        session.TakeNewSlots().Should().HaveCount(4 + 3 * 2 + 5 * 3);
        for (int step = 0; step < replay.Steps; step++)
        {
            replay.Step(session, step);
            session.TakeNewSlots().Should().HaveCount(5);
            session.Queries().Should().HaveCount(5).And.OnlyContain(q => q.VisibleTokens == 3 + step + 1);
        }
        FluentActions.Invoking(() => new TreeSpecReplay(spec, 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new TreeSpecReplay("1,2", 1)).Should().Throw<FormatException>();
    }

    [Fact]
    public void Speculative_accepts_the_recorded_lengths_along_the_top_ranked_chain()
    {
        var paths = MedusaTree.SyntheticPaths(new[] { 2, 3, 1 }); // chain [0], [0,0], [0,0,0]: 4 candidates with the root
        var accepts = new[] { 2, 4, 0, 1, 3 };
        var replay = new SpeculativeReplay(promptTokens: 6, paths, accepts);
        var session = new DecodeSession(new SlotPool(64));
        replay.TreeSize.Should().Be(7);
        replay.Steps.Should().Be(5);

        replay.Start(session);
        int prompt = session.Tree.Roots[0];
        int[] chainSlots = Array.Empty<int>();
        for (int step = 0; step < replay.Steps; step++)
        {
            var promptBefore = session.Tree.Slots(prompt).ToArray();
            replay.Step(session, step);
            int accepted = step == 0 ? 0 : accepts[step - 1];
            session.Tree.Slots(prompt).Should().Equal(promptBefore.Concat(chainSlots.Take(accepted)), $"step {step} accepts {accepted} tokens of the top-ranked chain");
            session.Tree.Slots(prompt).Should().HaveCount(6 + accepts.Take(step).Sum());
            session.Queries().Should().HaveCount(7).And.OnlyContain(q => q.VisibleTokens == 1 && session.Tree.Slots(q.Node).Count == 1);
            session.Pool.InUse.Should().Be((int)session.Tree.TokenCount);
            session.TakeNewSlots().Should().HaveCount(step == 0 ? 6 + 7 : 7);
            chainSlots = TopRankedChain(session.Tree, prompt).Select(n => session.Tree.Slots(n)[0]).ToArray();
            chainSlots.Should().HaveCount(4);
        }
    }

    /// <summary>First child at every depth under <paramref name="prompt"/>.</summary>
    private static IEnumerable<int> TopRankedChain(DecodingTree tree, int prompt)
    {
        for (int at = prompt; tree.Children(at).Count > 0;) yield return at = tree.Children(at)[0];
    }

    [Fact]
    public void Speculative_rejects_accept_lengths_the_token_tree_cannot_hold()
    {
        var paths = MedusaTree.SyntheticPaths(new[] { 2, 3 });

        FluentActions.Invoking(() => new SpeculativeReplay(6, paths, new[] { 3, 4 })).Should().Throw<ArgumentException>()
            .WithMessage("*Accept length 4 at step 1 is outside 0..3*top-ranked chain*");
        FluentActions.Invoking(() => new SpeculativeReplay(6, paths, new[] { -1 })).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new SpeculativeReplay(6, paths, Array.Empty<int>())).Should().Throw<ArgumentException>();
    }

    /// <summary>
    /// Prompt 5 → A (iterations 1–3) → D (4–6); prompt → Z, a zero-length thought at iteration 1 → B (1–2), C (1–4);
    /// prompt → E (1–1), a one-token leaf.
    /// </summary>
    private static ReasoningTree.Template TemplateWithZeroLengthThought() => new(false, new Dictionary<int, ReasoningTree.TemplateNode>
    {
        [0] = new(0, -4, 0, new[] { 1, 2, 6 }),
        [1] = new(1, 1, 3, new[] { 5 }),
        [2] = new(2, 1, 0, new[] { 3, 4 }),
        [3] = new(3, 1, 2, Array.Empty<int>()),
        [4] = new(4, 1, 4, Array.Empty<int>()),
        [5] = new(5, 4, 6, Array.Empty<int>()),
        [6] = new(6, 1, 1, Array.Empty<int>()),
    }, 0);

    private static void AssertReplayMatchesSnapshots(ReasoningTree.Template template, string name)
    {
        var replay = new ReasoningReplay(template);
        var session = new DecodeSession(new SlotPool(int.MaxValue));
        replay.Steps.Should().Be(template.LastIteration + 1);
        replay.Start(session);
        for (int it = 0; it < replay.Steps; it++)
        {
            replay.Step(session, it);
            var (snapshot, queries) = ReasoningTree.Snapshot(template, it);
            Shape(session.Tree, session.Queries()).Should().Be(Shape(snapshot, queries), $"{name} at iteration {it}");
            session.Pool.InUse.Should().Be((int)session.Tree.TokenCount);
        }
    }

    [Fact]
    public void Reasoning_replay_equals_the_snapshot_of_every_iteration_with_a_zero_length_thought()
    {
        AssertReplayMatchesSnapshots(TemplateWithZeroLengthThought(), "hand-made template");
    }

    [DataTheory]
    [InlineData("sorting128ToT.json")]
    [InlineData("docmergeToT.json")]
    public void Reasoning_replay_equals_the_snapshot_of_every_iteration_of_the_data(string file)
    {
        var template = ReasoningTree.Load(Path.Combine(SharedData.Require(), "reasoning", file)).First(t => !t.Incomplete);
        AssertReplayMatchesSnapshots(template, file);
    }

    [Fact]
    public void Reasoning_replay_takes_a_shorter_prompt_and_rejects_a_thought_that_starts_late()
    {
        var replay = new ReasoningReplay(TemplateWithZeroLengthThought(), promptTokens: 2);
        var session = new DecodeSession(new SlotPool(64));
        replay.Start(session);
        session.Tree.TokenCount.Should().Be(2);

        var late = new ReasoningTree.Template(false, new Dictionary<int, ReasoningTree.TemplateNode>
        {
            [0] = new(0, -4, 0, new[] { 1 }),
            [1] = new(1, 3, 5, Array.Empty<int>()),
        }, 0);
        FluentActions.Invoking(() => new ReasoningReplay(late)).Should().Throw<ArgumentException>()
            .WithMessage("*node 1 starts at iteration 3, not right after its parent 0 ends (0)*");
    }
}
