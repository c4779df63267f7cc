using DeFT.Core.Planning;
using DeFT.Kernels;

namespace DeFT.Tests.Packaging;

/// <summary>
/// The packed libraries expose what an engine calls and nothing of their implementation: no kernel, kernel parameter, tile
/// shape or PTX primitive, no individual planner or tree layout, and no bench material (workloads, data lookup, replays).
/// </summary>
public sealed class PublicSurfaceTests
{
    private static readonly Type[] CoreTypes = typeof(TreePlanner).Assembly.GetExportedTypes();
    private static readonly Type[] KernelTypes = typeof(TreeAttention).Assembly.GetExportedTypes();

    [Fact]
    public void No_kernel_implementation_type_is_public()
    {
        KernelTypes.Where(t => t.Namespace is "DeFT.Kernels.Attention" or "DeFT.Kernels.Primitives").Should().BeEmpty();
        KernelTypes.Select(t => t.Name).Should().Contain(["TreeAttention", "AttentionKernel", "KvCache", "KvLayer", "DevicePlan", "Accelerators"])
            .And.NotContain(["LaunchBounds", "DeviceChecks", "DeviceMemory", "DeviceBuffer`1", "IDeviceBuffer"]);
    }

    [Fact]
    public void Core_exposes_planning_through_TreePlanner_and_holds_no_bench_material()
    {
        CoreTypes.Select(t => t.Name).Should().Contain(["TreePlanner", "PlanMethod", "PlannerOptions", "AttentionPlan", "DecodeSession", "SlotPool", "DecodingTree", "HeadConfig"])
            .And.NotContain(["FlattenPlanner", "NodePlanner", "SequencePlanner", "AdaptivePlanner", "TreeLayout", "PlanBuilder"]);
        CoreTypes.Should().NotContain(t => t.Namespace!.Contains("Workloads") || t.Name.EndsWith("Replay"));
    }
}
