using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Core.Trees;

namespace DeFT.Tests.Decoding;

public class DecodeSessionTests
{
    /// <summary>Prompt of 4 tokens with a token tree c0 → (c1 → (c3, c4), c2 → c5) under it.</summary>
    private static (DecodeSession Session, int Prompt, int[] Candidates) TokenTree(int capacity = 64)
    {
        var session = new DecodeSession(new SlotPool(capacity));
        int prompt = session.AddRoot(4);
        var candidates = session.AddCandidates(prompt, new[] { -1, 0, 0, 1, 1, 2 });
        return (session, prompt, candidates);
    }

    /// <summary>Asserts that <paramref name="change"/> throws <typeparamref name="TException"/> and that the session is exactly as before.</summary>
    private static void ThrowsAndChangesNothing<TException>(DecodeSession session, Action change, string message) where TException : Exception
    {
        string before = SessionState.Of(session);
        change.Should().Throw<TException>().WithMessage(message);
        SessionState.Of(session).Should().Be(before);
    }

    [Fact]
    public void AddRoot_takes_the_prompt_slots_from_the_pool_and_lists_them_as_new()
    {
        var session = new DecodeSession(new SlotPool(16));

        int prompt = session.AddRoot(5);

        session.Tree.Slots(prompt).Should().Equal(0, 1, 2, 3, 4);
        session.Pool.InUse.Should().Be(5);
        session.NewSlots.Should().Equal(0, 1, 2, 3, 4);
        session.TakeNewSlots().Should().Equal(0, 1, 2, 3, 4);
        session.NewSlots.Should().BeEmpty();
        session.Queries().Should().Equal(new TreeQuery(prompt, 5));
    }

    [Fact]
    public void AppendToBranches_grows_every_leaf_that_is_not_a_candidate()
    {
        var session = new DecodeSession(new SlotPool(32));
        int prompt = session.AddRoot(3);
        int a = session.Fork(prompt, 0);
        int b = session.Fork(prompt, 0);
        session.TakeNewSlots();

        session.AppendToBranches().Should().Equal(3, 4);
        var candidates = session.AddCandidates(a, new[] { -1, 0 });
        session.AppendToBranches().Should().Equal(7);

        session.Tree.Slots(a).Should().Equal(3);
        session.Tree.Slots(b).Should().Equal(4, 7);
        session.NewSlots.Should().Equal(3, 4, 5, 6, 7);
        session.Queries().Should().Equal(new TreeQuery(candidates[0], 1), new TreeQuery(candidates[1], 1), new TreeQuery(b, 2));
        session.Pool.InUse.Should().Be((int)session.Tree.TokenCount);
    }

    [Fact]
    public void Append_and_Fork_add_tokens_to_one_node()
    {
        var session = new DecodeSession(new SlotPool(32));
        int prompt = session.AddRoot(2);

        int slot = session.Append(prompt);
        int branch = session.Fork(prompt, 3);

        slot.Should().Be(2);
        session.Tree.Slots(prompt).Should().Equal(0, 1, 2);
        session.Tree.Slots(branch).Should().Equal(3, 4, 5);
        session.Queries().Should().Equal(new TreeQuery(branch, 3));
    }

    [Fact]
    public void Prune_gives_the_slots_back_and_drops_them_from_the_new_slots()
    {
        var session = new DecodeSession(new SlotPool(32));
        int prompt = session.AddRoot(2);
        session.TakeNewSlots();
        int keep = session.Fork(prompt, 1);
        int drop = session.Fork(prompt, 2);
        session.Fork(drop, 1);

        session.Prune(drop);

        session.NewSlots.Should().Equal(2);
        session.Pool.InUse.Should().Be(3);
        session.Tree.IsLive(drop).Should().BeFalse();
        session.Queries().Should().Equal(new TreeQuery(keep, 1));
        session.Fork(prompt, 3).Should().BeGreaterThan(drop);
        session.NewSlots.Should().Equal(new[] { 2, 3, 4, 5 }, "freed slots are reused in the order they were freed");
    }

    [Fact]
    public void Every_candidate_is_a_query_and_the_prompt_under_a_token_tree_is_not()
    {
        var (session, _, c) = TokenTree();

        session.Queries().Select(q => q.Node).Should().Equal(c[0], c[1], c[3], c[4], c[2], c[5]);
        session.Queries().Should().OnlyContain(q => q.VisibleTokens == 1);
        session.Plan(PlanMethod.Flatten).QueryCount.Should().Be(6);
    }

    [Fact]
    public void Accept_merges_the_accepted_path_into_the_prompt_and_frees_every_other_candidate()
    {
        var (session, prompt, c) = TokenTree();
        var slotOf = c.Select(n => session.Tree.Slots(n)[0]).ToArray();

        session.Accept(prompt, new[] { c[0], c[1], c[4] });

        session.Tree.Slots(prompt).Should().Equal(0, 1, 2, 3, slotOf[0], slotOf[1], slotOf[4]);
        session.Tree.Children(prompt).Should().BeEmpty();
        session.Tree.NodeCount.Should().Be(1);
        session.Pool.InUse.Should().Be(7);
        session.NewSlots.Should().Equal(0, 1, 2, 3, slotOf[0], slotOf[1], slotOf[4]);
        session.Queries().Should().Equal(new TreeQuery(prompt, 7));
        session.AddCandidates(prompt, new[] { -1, 0, 0 }).Select(n => session.Tree.Slots(n)[0])
            .Should().BeEquivalentTo(new[] { slotOf[2], slotOf[3], slotOf[5] }, "the rejected candidates' slots are free again");
    }

    [Fact]
    public void Accept_of_an_empty_path_rejects_the_whole_token_tree()
    {
        var (session, prompt, _) = TokenTree();

        session.Accept(prompt, Array.Empty<int>());

        session.Tree.Slots(prompt).Should().Equal(0, 1, 2, 3);
        session.Tree.NodeCount.Should().Be(1);
        session.Pool.InUse.Should().Be(4);
    }

    [Fact]
    public void Changes_to_unknown_or_removed_nodes_throw_and_change_nothing()
    {
        var (session, prompt, c) = TokenTree();
        int removed = session.Fork(c[3], 1);
        session.Prune(removed);

        foreach (int node in new[] { 999, -1, removed })
        {
            ThrowsAndChangesNothing<TreeException>(session, () => session.Fork(node, 1), $"*Node {node} is unknown or was removed*");
            ThrowsAndChangesNothing<TreeException>(session, () => session.Append(node), $"*Node {node} is unknown or was removed*");
            ThrowsAndChangesNothing<TreeException>(session, () => session.Prune(node), $"*Node {node} is unknown or was removed*");
            ThrowsAndChangesNothing<TreeException>(session, () => session.AddCandidates(node, new[] { -1 }), $"*Node {node} is unknown or was removed*");
            ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(node, Array.Empty<int>()), $"*Node {node} is unknown or was removed*");
            ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0], node }), $"*Accepted token 1 is node {node}, which is unknown or was removed*");
        }
    }

    [Fact]
    public void Accepting_more_than_the_token_tree_holds_throws_and_changes_nothing()
    {
        var (session, prompt, c) = TokenTree();

        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0], c[1], c[3], c[4] }),
            "*Accepted token 3 (node*) is not a child of the previous accepted token*a path down the token tree (4 given)*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0], c[1], c[3], c[3] }), "*Accepted token 3*not a child*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[1] }), "*Accepted token 0*not a child of the prompt*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0], c[5] }), "*Accepted token 1*not a child*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(c[0], new[] { c[1], c[4], c[2] }), "*Accepted token 2*not a child*");
    }

    [Fact]
    public void Accept_refuses_to_drop_branches_that_are_not_candidates()
    {
        var (session, prompt, c) = TokenTree();
        int branch = session.Fork(prompt, 1);
        int forked = session.Fork(c[2], 1);

        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0] }),
            $"*Node {prompt} has child {branch}, which is not a speculative candidate*");
        session.Prune(branch);
        ThrowsAndChangesNothing<TreeException>(session, () => session.Accept(prompt, new[] { c[0], c[2], forked }),
            $"*Accepted token 2 (node {forked}) is not a speculative candidate*");
    }

    [Fact]
    public void A_token_tree_with_a_bad_parent_throws_and_changes_nothing()
    {
        var (session, prompt, _) = TokenTree();

        ThrowsAndChangesNothing<TreeException>(session, () => session.AddCandidates(prompt, new[] { -1, 1 }), "*Candidate 1 names parent candidate 1*(0..0)*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.AddCandidates(prompt, new[] { 0 }), "*Candidate 0 names parent candidate 0*(candidate 0 has none)*");
        ThrowsAndChangesNothing<TreeException>(session, () => session.AddCandidates(prompt, new[] { -1, -2 }), "*Candidate 1 names parent candidate -2*");
    }

    [Fact]
    public void Pool_exhaustion_throws_and_changes_nothing()
    {
        var (session, prompt, c) = TokenTree(capacity: 12);
        session.Fork(c[5], 1);
        session.Pool.Available.Should().Be(1);

        ThrowsAndChangesNothing<SlotPoolExhaustedException>(session, () => session.AddRoot(2), "*cannot hand out 2 slot(s)*only 1 of its 12*");
        ThrowsAndChangesNothing<SlotPoolExhaustedException>(session, () => session.Fork(prompt, 2), "*cannot hand out 2*");
        ThrowsAndChangesNothing<SlotPoolExhaustedException>(session, () => session.AddCandidates(c[3], new[] { -1, 0 }), "*cannot hand out 2*");
        session.Fork(c[4], 0);
        ThrowsAndChangesNothing<SlotPoolExhaustedException>(session, () => session.AppendToBranches(), "*cannot hand out 2*");
        session.Append(prompt);
        ThrowsAndChangesNothing<SlotPoolExhaustedException>(session, () => session.Append(prompt), "*cannot hand out 1*only 0 of its 12*");
    }

    [Fact]
    public void Sessions_sharing_a_pool_never_share_a_slot()
    {
        var pool = new SlotPool(20);
        var first = new DecodeSession(pool);
        var second = new DecodeSession(pool);

        int a = first.AddRoot(4);
        int b = second.AddRoot(4);
        first.Prune(a);
        int c = second.Fork(b, 3);

        second.Tree.Slots(c).Should().Equal(new[] { 0, 1, 2 }, "the first session's freed slots are reused");
        second.Tree.Slots(b).Should().Equal(4, 5, 6, 7);
        pool.InUse.Should().Be(7);
    }
}
