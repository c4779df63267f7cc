using DeFT.Core.Decoding;

namespace DeFT.Tests.Decoding;

/// <summary>Slot pools in pages (the NHD paged-KV layout): runs fill their own pages, freed pages are reused whole, exhaustion changes nothing.</summary>
public class PagedSlotPoolTests
{
    [Fact]
    public void A_run_continues_its_page_then_takes_a_free_page()
    {
        var pool = new SlotPool(64, pageTokens: 16);
        pool.Allocate(20).Should().Equal(Enumerable.Range(0, 20), "a new run starts on a fresh page and fills it");
        pool.Allocate(3, after: 19).Should().Equal(20, 21, 22);
        pool.Allocate(2).Should().Equal(new[] { 32, 33 }, "a new run never shares a page another run has started");
        pool.Allocate(10, after: 22).Should().Equal(23, 24, 25, 26, 27, 28, 29, 30, 31, 48);
        pool.PageOf(48).Should().Be(3);
        pool.HighWaterMark.Should().Be(64);
    }

    [Fact]
    public void Session_branches_fill_their_own_pages_and_a_pruned_branch_gives_its_page_back()
    {
        var session = new DecodeSession(new SlotPool(16 * 8, pageTokens: 16));
        int prompt = session.AddRoot(20);
        var branches = Enumerable.Range(0, 3).Select(_ => session.Fork(prompt, tokens: 0)).ToArray();
        session.AppendToBranches();
        session.AppendToBranches();
        var pages = branches.Select(b => session.Tree.Slots(b).Select(session.Pool.PageOf).Distinct().Single()).ToArray();
        pages.Should().OnlyHaveUniqueItems().And.NotContain(new[] { 0, 1 }, "the prompt holds pages 0 and 1");
        foreach (int b in branches)
            session.Tree.Slots(b).Should().Equal(new[] { session.Tree.Slots(b)[0], session.Tree.Slots(b)[0] + 1 }, "a branch's tokens are consecutive in its page");

        session.Prune(branches[1]);
        int fresh = session.Fork(prompt, tokens: 2);
        session.Tree.Slots(fresh).Select(session.Pool.PageOf).Should().AllBeEquivalentTo(pages[1], "the freed page is reused first");
    }

    [Fact]
    public void Exhaustion_leaves_the_paged_pool_unchanged()
    {
        var pool = new SlotPool(32, pageTokens: 16);
        pool.Allocate(20);
        FluentActions.Invoking(() => pool.Allocate(1)).Should().Throw<SlotPoolExhaustedException>();
        FluentActions.Invoking(() => pool.Allocate(new[] { 19, -1 })).Should().Throw<SlotPoolExhaustedException>();
        pool.InUse.Should().Be(20);
        pool.HighWaterMark.Should().Be(32);
        pool.ReferenceCount(20).Should().Be(0, "the slot the failed request took first was given back");
        pool.Allocate(2, after: 19).Should().Equal(20, 21);
    }

    [Fact]
    public void Bad_page_arguments_are_refused()
    {
        FluentActions.Invoking(() => new SlotPool(40, pageTokens: 16)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("capacity");
        FluentActions.Invoking(() => new SlotPool(16, pageTokens: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("pageTokens");
        FluentActions.Invoking(() => new SlotPool(16, pageTokens: 16).Allocate(1, after: -3)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
