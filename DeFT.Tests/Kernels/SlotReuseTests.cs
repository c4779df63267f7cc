using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>Non-contiguous KV slots, and slots freed by pruning a branch and reused by a later fork (DESIGN.md §5).</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class SlotReuseTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    [Theory, AllMethods]
    public void Slots_freed_by_prune_and_reused_by_fork(PlanMethod method)
    {
        // Scattered slots: root (24) → {A (20) → A1 (8), B (12)}. Pruning A frees 28 slots; the new branches C
        // (under the root) and D (under B) take them in reverse order, so C's and D's tokens live in slots A
        // used to own, in a different order. The KV data is fresh for the new tree: a kernel that read a stale
        // plan or mixed up slot order would see different keys and values.
        var tree = new DecodingTree();
        var pool = new ScatteredSlots(seed: 5, capacity: 128);
        int root = tree.AddRoot(pool.Take(24));
        int a = tree.Fork(root, pool.Take(20));
        tree.Fork(a, pool.Take(8));
        int b = tree.Fork(root, pool.Take(12));
        var freed = tree.Prune(a);
        freed.Should().HaveCount(28);
        var reused = freed.Reverse().ToArray();
        int c = tree.Fork(root, reused[..16]);
        int d = tree.Fork(b, reused[16..]);
        tree.Append(c, pool.Take(3)); // and a fresh slot or three after the reused ones

        TreeQuery[] queries = [new(d, 12), new(c, 19), new(b, 5)];
        var reuse = new TreeCase("pruned and re-forked", tree, queries, pool.Count);
        var plan = KernelCheck.MatchesReference(fixture, Heads, reuse, method, new PlannerOptions { BlockTokens = 32 }, log: log);
        plan.TokenSlots.ToArray().Should().Contain(reused);
    }
}
