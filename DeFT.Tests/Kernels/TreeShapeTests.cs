using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Workloads;
using Xunit.Abstractions;

namespace DeFT.Tests.Kernels;

/// <summary>DESIGN.md §5 tree shapes, scaled down for the CPU accelerator, for every plan method.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class TreeShapeTests(CpuAcceleratorFixture fixture, ITestOutputHelper log)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);

    [Theory, AllMethods]
    public void Single_query_equals_plain_decode(PlanMethod method)
    {
        // One sequence, one query: every method degenerates to ordinary decode attention over 70 tokens.
        var heads = new HeadConfig(8, 2, 64);
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 70));
        var single = new TreeCase("single sequence of 70", tree, [new TreeQuery(root, 70)], 70);
        KernelCheck.MatchesReference(fixture, heads, single, method, log: log);
    }

    // Four independent sequences of 40: Flatten packs all of them into one item, where the token masks alone keep
    // each query to its own sequence; Node and Sequence give each sequence its own item.
    [Theory, AllMethods]
    public void No_sharing_between_independent_sequences(PlanMethod method) =>
        KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("4_40"), method, log: log);

    [Theory, AllMethods]
    public void Forest_with_several_roots(PlanMethod method) =>
        KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("3,6_30,20"), method,
            new PlannerOptions { BlockTokens = 64 }, log: log);

    [Theory, AllMethods]
    public void Zero_length_nodes(PlanMethod method)
    {
        // Root R (30) → A (0, internal) → {B (10), C (0)}; R → D (12) → E (0). A second root Z (0) → Y (8).
        // Queries with nothing of their own node visible still see their non-empty ancestors.
        var tree = new DecodingTree();
        var slots = new ScatteredSlots(seed: 7);
        int r = tree.AddRoot(slots.Take(30));
        int a = tree.Fork(r, []);
        int b = tree.Fork(a, slots.Take(10));
        int c = tree.Fork(a, []);
        int d = tree.Fork(r, slots.Take(12));
        int e = tree.Fork(d, []);
        int z = tree.AddRoot([]);
        int y = tree.Fork(z, slots.Take(8));
        TreeQuery[] queries =
        [
            new(b, 10), new(c, 0), new(a, 0), new(d, 0), new(d, 12), new(e, 0), new(y, 8), new(y, 3),
        ];
        KernelCheck.MatchesReference(fixture, Heads, new TreeCase("zero-length nodes", tree, queries, slots.Count), method,
            new PlannerOptions { BlockTokens = 32 }, log: log);
    }

    [Theory, AllMethods]
    public void One_token_nodes_with_many_siblings(PlanMethod method)
    {
        // Flatten packs the one-token siblings into shared blocks: 100 siblings cost it 4 blocks. Node and Sequence
        // launch a thread group per sibling and KV head, and on the CPU accelerator every group costs a fraction of
        // a second, so hundreds of siblings would take minutes there: they get 16, which still makes one-token
        // work items under a root shared by all of them.
        string spec = method == PlanMethod.Flatten ? "1,100_8,1" : "1,16_8,1";
        var plan = KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec(spec), method,
            new PlannerOptions { BlockTokens = 32 }, log: log);
        if (method == PlanMethod.Node) plan.Items.ToArray().Should().Contain(i => i.TokenCount == 1);
    }

    [Theory, AllMethods]
    public void Long_path_streams_many_tiles_in_one_item(PlanMethod method)
    {
        // A 650-token chain with BlockTokens 1024: one work item (two for Node) runs the online softmax over 21 tiles.
        var plan = KernelCheck.MatchesReference(fixture, Heads, TreeCase.FromSpec("1,1_600,50"), method,
            new PlannerOptions { BlockTokens = 1024 }, log: log);
        plan.Items.ToArray().Max(i => i.TokenCount).Should().BeGreaterThanOrEqualTo(600);
    }

    [Theory, AllMethods]
    public void Queries_on_internal_nodes(PlanMethod method)
    {
        // Every node is a query (a speculative token tree verifies all candidates), internal ones included.
        var w = TreeCase.FromSpec("1,2,4_20,10,10");
        var all = w with { Name = "1,2,4_20,10,10 (all nodes queried)", Queries = w.Tree.AllNodeQueries() };
        KernelCheck.MatchesReference(fixture, Heads, all, method, new PlannerOptions { BlockTokens = 32 }, log: log);
    }

    [Theory, AllMethods]
    public void Medusa_token_tree_with_every_candidate_a_query(PlanMethod method)
    {
        // Speculative decoding: a 40-token prompt, a root candidate and 3 + 6 + 6 one-token candidates below it;
        // all 16 candidates are queries, so most queries sit on internal nodes of the token tree.
        var medusa = MedusaTree.Workload("medusa 3,6,6", 40, MedusaTree.SyntheticPaths([3, 6, 6]), "synthetic", synthetic: true);
        var tree = new TreeCase(medusa.Name, medusa.Tree, medusa.Queries, medusa.SlotCount);
        tree.Queries.Should().HaveCount(16);
        KernelCheck.MatchesReference(fixture, Heads, tree, method, log: log);
    }

    [Theory, AllMethods]
    public void Several_queries_on_one_node_with_different_visible_lengths(PlanMethod method)
    {
        // A chain being verified: queries on X see 0, 1, 17 (twice), 32 and 40 of its tokens; a child Y below it.
        var tree = new DecodingTree();
        var slots = new ScatteredSlots(seed: 11);
        int root = tree.AddRoot(slots.Take(20));
        int x = tree.Fork(root, slots.Take(40));
        int y = tree.Fork(x, slots.Take(10));
        TreeQuery[] queries = [new(x, 17), new(y, 10), new(x, 0), new(x, 40), new(x, 1), new(x, 32), new(x, 17)];
        KernelCheck.MatchesReference(fixture, Heads, new TreeCase("several queries on one node", tree, queries, slots.Count), method,
            new PlannerOptions { BlockTokens = 32 }, log: log);
    }
}
