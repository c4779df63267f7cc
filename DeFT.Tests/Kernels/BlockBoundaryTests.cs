using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>Nodes ending exactly at a block boundary and nodes spanning several blocks (DESIGN.md §5).</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class BlockBoundaryTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);

    public static TheoryData<PlanMethod, int> Cases()
    {
        var data = new TheoryData<PlanMethod, int>();
        foreach (var method in Enum.GetValues<PlanMethod>())
            foreach (int block in new[] { 32, 16 })
                data.Add(method, block);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Nodes_on_and_across_block_boundaries(PlanMethod method, int blockTokens)
    {
        // Root R (32) → A (64) → {B (40), C (24)}: 160 tokens in pre-order R 0–32, A 32–96, B 96–136, C 136–160.
        // With blocks of 32 (or 16) Flatten's blocks are exactly 32 (16) tokens, so R and A end on block boundaries,
        // A spans two (four) blocks and B crosses one; Node cuts A into 2 (4) full chunks and B into 32+8 (16+16+8).
        // A is queried too (an internal node), so its tokens are shared by three queries.
        var tree = new DecodingTree();
        var slots = new ScatteredSlots(seed: 3);
        int r = tree.AddRoot(slots.Take(32));
        int a = tree.Fork(r, slots.Take(64));
        int b = tree.Fork(a, slots.Take(40));
        int c = tree.Fork(a, slots.Take(24));
        var boundary = new TreeCase($"32/64/40/24 nodes, blocks of {blockTokens}", tree,
            [new TreeQuery(b, 40), new TreeQuery(c, 24), new TreeQuery(a, 64)], slots.Count);
        var plan = KernelCheck.MatchesReference(fixture, Heads, boundary, method, new PlannerOptions { BlockTokens = blockTokens }, log: log);

        var items = plan.Items.ToArray();
        items.Should().OnlyContain(i => i.TokenCount <= blockTokens);
        if (method != PlanMethod.Sequence)
        {
            // Some item ends exactly where R ends and one where A ends (flat token 32 and 96).
            items.Should().Contain(i => i.TokenEnd == 32).And.Contain(i => i.TokenEnd == 96);
        }
    }
}
