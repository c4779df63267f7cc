using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Kernels;
using DeFT.Kernels.Planning;
using DeFT.Tests.Kernels;
using DeFT.Tests.Support;

namespace DeFT.Tests.Planning;

/// <summary>
/// The device planner builds, element for element, the plan the host builds and uploads (DESIGN.md §5's trees, random
/// trees and forests, every device method, several options and Adaptive's cost models), on the CPU accelerator. Trees are joined into forests
/// (<see cref="Forests"/>) to keep the number of plans, and kernel launches, small.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DevicePlannerEqualityTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(8, 2, 64);

    public static readonly PlanMethod[] Methods = { PlanMethod.Flatten, PlanMethod.Node, PlanMethod.Adaptive };

    /// <summary>
    /// Cost models that decide Adaptive's packing differently: the default (packs chains and sibling leaves at G ≥ 4),
    /// one under which every merge costs the same as none (packs whatever fits), one that charges only computed pairs (packs
    /// only nodes seen by the very same queries), and one whose costs are NaN (no comparison holds: never packs). The
    /// default's pair weight (4·Hq·D / 130) is not a whole number, so its sums round.
    /// </summary>
    public static readonly (string Name, PlanCostModel Model)[] CostModels =
    {
        ("default", PlanCostModel.Default),
        ("packs whatever fits", new PlanCostModel(KvBytesPerToken: 1, PartialBytesPerQuery: 0, BytesPerPair: 0)),
        ("packs equal query ranges", new PlanCostModel(KvBytesPerToken: 0, PartialBytesPerQuery: 0, BytesPerPair: 1)),
        ("never packs", new PlanCostModel(KvBytesPerToken: double.NaN, PartialBytesPerQuery: 0, BytesPerPair: 0)),
        ("G 8 tiles", PlanCostModel.For(new HeadConfig(16, 2, 64))),
    };

    public static TheoryData<string, int, int> CostModelsAndOptions()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var (name, _) in CostModels)
            foreach (var (blockTokens, maxQueries) in new[] { (7, 3), (256, 64), (1, 1) })
                data.Add(name, blockTokens, maxQueries);
        return data;
    }

    public static TheoryData<PlanMethod, int, int> MethodsAndOptions()
    {
        var data = new TheoryData<PlanMethod, int, int>();
        foreach (var m in Methods)
            foreach (var (blockTokens, maxQueries) in new[] { (7, 3), (64, 64), (256, 2), (1, 1) })
                data.Add(m, blockTokens, maxQueries);
        return data;
    }

    [Theory]
    [MemberData(nameof(MethodsAndOptions))]
    public void Random_trees_and_forests_plan_the_same_on_the_device(PlanMethod method, int blockTokens, int maxQueries)
    {
        var options = new PlannerOptions { BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries };
        var seeds = RandomTrees.Seeds.Take(blockTokens == 1 ? 1 : blockTokens < 64 ? 3 : RandomTrees.Seeds.Length); // small blocks: many items, slow on the CPU accelerator
        var (tree, queries) = Forests.Join(RandomTrees.Shapes.SelectMany(shape => seeds.Select(seed =>
        {
            var (t, q, _) = shape.Builder.Build(seed);
            return (t, q);
        })));
        AssertSame(tree, queries, method, options, $"{method} {options}, every random shape, seeds {string.Join(",", seeds)}");
    }

    /// <summary>Adaptive packs small nodes by its cost model: the device must take every decision the host takes.</summary>
    [Theory]
    [MemberData(nameof(CostModelsAndOptions))]
    public void Adaptive_packs_as_the_host_under_every_cost_model(string model, int blockTokens, int maxQueries)
    {
        var options = new PlannerOptions
        {
            BlockTokens = blockTokens, MaxQueriesPerItem = maxQueries, CostModel = CostModels.Single(m => m.Name == model).Model,
        };
        var seeds = RandomTrees.Seeds.Take(blockTokens == 1 ? 1 : 2);
        var speculative = DeFT.Workloads.TreeSpec.Build("1,12,36_20,1,2"); // a prompt, then two levels of short sibling leaves
        var (tree, queries) = Forests.Join(RandomTrees.Shapes.SelectMany(shape => seeds.Select(seed =>
        {
            var (t, q, _) = shape.Builder.Build(seed);
            return (t, q);
        })).Append((speculative.Tree, speculative.Queries)));
        AssertSame(tree, queries, PlanMethod.Adaptive, options, $"Adaptive, cost model {model}, {options}");
    }

    /// <summary>The single query alone (the whole plan is one sequence), the others joined in a forest.</summary>
    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    public void Edge_cases_plan_the_same_on_the_device(PlanMethod method)
    {
        var (single, singleQueries) = EdgeCaseTrees.Build("single-query");
        AssertSame(single, singleQueries, method, PlannerOptions.Default, $"single-query {method}");
        var (tree, queries) = Forests.Join(EdgeCaseTrees.Names.Where(n => n != "single-query").Select(EdgeCaseTrees.Build));
        AssertSame(tree, queries, method, PlannerOptions.Default, $"every other edge case of DESIGN.md §5 in one forest, {method}");
    }

    /// <summary>
    /// The plan kernel is one group whose threads stride over every phase: its size must not change the plan. The other
    /// tests run the CPU accelerator's default size; this one twice that (the most ILGPU.Algorithms' CPU group scan takes).
    /// </summary>
    [Fact]
    public void A_larger_plan_group_plans_the_same()
    {
        int groupSize = 2 * DevicePlanner.CpuGroupSize;
        var attention = fixture.For(Heads);
        using var planner = new DevicePlanner(attention, groupSize);
        var (tree, queries) = Forests.Join(RandomTrees.Shapes.Select(shape =>
        {
            var (t, q, _) = shape.Builder.Build(RandomTrees.Seeds[0]);
            return (t, q);
        }));
        var options = new PlannerOptions { BlockTokens = 7, MaxQueriesPerItem = 3 };
        foreach (var method in Methods)
        {
            using var planned = attention.CreatePlan();
            planner.Plan(planned, tree, queries, method, options);
            DevicePlanComparison.AssertHolds(attention, planned, TreePlanner.Plan(tree, queries, method, options),
                $"{method} {options} in a group of {groupSize}");
        }
    }

    /// <summary>
    /// Trees with more nodes and queries than the plan kernel's group on CUDA (1024), so every scan and per-node and
    /// per-query loop takes more than one turn there too: a root with 1100 leaves, and the six-level tree of 1365 nodes
    /// and 1024 queries. Both made the H200 write out of bounds while the node counts were scanned in place (see
    /// <see cref="DeFT.Tests.Kernels.KernelPtxTests"/>); the CPU accelerator, which runs the C# as written, never showed it.
    /// </summary>
    [Theory]
    [InlineData(PlanMethod.Flatten)]
    [InlineData(PlanMethod.Node)]
    [InlineData(PlanMethod.Adaptive)]
    public void Trees_larger_than_the_cuda_plan_group_plan_the_same(PlanMethod method)
    {
        foreach (string spec in new[] { "1,1100_8,8", "1,4,16,64,256,1024_256,32,256,64,32,256" })
        {
            var w = DeFT.Workloads.TreeSpec.Build(spec);
            w.Tree.NodeCount.Should().BeGreaterThan(1024);
            w.Queries.Length.Should().BeGreaterThanOrEqualTo(1024);
            AssertSame(w.Tree, w.Queries, method, PlannerOptions.Default, $"{spec} {method}");
        }
    }

    /// <summary>
    /// Adaptive stages its packing inputs in shared memory up to <see cref="AdaptiveKernels.SharedNodes"/> nodes and
    /// reads them from global memory beyond: a root with more small leaves than that, under a model that packs and one
    /// that does not.
    /// </summary>
    [Fact]
    public void Adaptive_packs_the_same_beyond_the_shared_staging()
    {
        var w = DeFT.Workloads.TreeSpec.Build("1,2100_4,2");
        w.Tree.NodeCount.Should().BeGreaterThan(AdaptiveKernels.SharedNodes);
        foreach (var (name, model) in CostModels.Where(m => m.Name is "packs whatever fits" or "default"))
            AssertSame(w.Tree, w.Queries, PlanMethod.Adaptive, new PlannerOptions { CostModel = model }, $"1,2100_4,2 Adaptive, {name}");
    }

    [Fact]
    public void Tensor_core_tasks_and_the_streaming_shape_match_the_upload()
    {
        // Tensor cores cut tasks at 64 rows on a shared plan and 16 on a streaming one: one tree of each; and a shared plan
        // whose one-query leaves hold most of its tokens splits them off as narrow tasks (Node; Adaptive packs this tree).
        foreach (string spec in new[] { "1,40_300,3", "6_90" })
        {
            var w = DeFT.Workloads.TreeSpec.Build(spec);
            AssertSame(w.Tree, w.Queries, PlanMethod.Flatten, new PlannerOptions { BlockTokens = 32 }, spec, AttentionKernel.TensorCore);
        }
        var leaves = DeFT.Workloads.TreeSpec.Build("1,12_64,16");
        foreach (var method in new[] { PlanMethod.Node, PlanMethod.Adaptive })
        {
            var attention = fixture.For(Heads, AttentionKernel.TensorCore, narrowOnSmallPlans: true);
            using var uploaded = attention.CreatePlan();
            attention.Upload(uploaded, TreePlanner.Plan(leaves.Tree, leaves.Queries, method));
            if (method == PlanMethod.Node) uploaded.TaskCount.Should().BeGreaterThan(uploaded.WideTaskCount, "1,12_64,16 Node has narrow tasks");
            AssertSame(leaves.Tree, leaves.Queries, method, PlannerOptions.Default, $"1,12_64,16 {method}", AttentionKernel.TensorCore, narrowOnSmallPlans: true);
        }
    }

    private void AssertSame(DecodingTree tree, TreeQuery[] queries, PlanMethod method, PlannerOptions options, string because,
        AttentionKernel kernel = AttentionKernel.CudaCore, bool narrowOnSmallPlans = false)
    {
        var attention = fixture.For(Heads, kernel, narrowOnSmallPlans);
        var planner = fixture.PlannerFor(Heads, kernel, narrowOnSmallPlans);
        using var planned = attention.CreatePlan();
        planner.Plan(planned, tree, queries, method, options);
        DevicePlanComparison.AssertHolds(attention, planned, TreePlanner.Plan(tree, queries, method, options), because);
    }
}
