using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels.Device;

namespace DeFT.Tests.Kernels;

/// <summary>
/// A device plan's memory: it grows to the largest plan and stays there until <see cref="DevicePlan.Trim"/> gives the
/// excess back; a trimmed plan still runs correctly, and grows again for a larger one.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DevicePlanMemoryTests(CpuAcceleratorFixture fixture)
{
    private static readonly HeadConfig Heads = new(4, 1, 64);
    private static readonly PlannerOptions Options = new() { BlockTokens = 16 };

    [Fact]
    public void Trim_shrinks_to_the_current_plan_which_still_runs()
    {
        var attention = fixture.For(Heads);
        var big = TreeCase.FromSpec("1,6_64,16");
        var small = TreeCase.FromSpec("1_20");
        var bigPlan = KernelCheck.Plan(big, PlanMethod.Flatten, Options);
        var smallPlan = KernelCheck.Plan(small, PlanMethod.Flatten, Options);
        using var devicePlan = attention.CreatePlan();
        devicePlan.AllocatedBytes.Should().Be(0);
        devicePlan.UsedBytes.Should().Be(0);

        attention.Upload(devicePlan, bigPlan);
        long bigBytes = devicePlan.AllocatedBytes;
        bigBytes.Should().BeGreaterThanOrEqualTo(devicePlan.UsedBytes).And.BeGreaterThan(0);
        attention.Upload(devicePlan, smallPlan);
        devicePlan.AllocatedBytes.Should().Be(bigBytes, "uploads only grow the buffers");
        devicePlan.UsedBytes.Should().BeLessThan(bigBytes / 4);

        devicePlan.Trim();
        using var fresh = attention.CreatePlan();
        attention.Upload(fresh, smallPlan);
        devicePlan.AllocatedBytes.Should().Be(fresh.AllocatedBytes, "trimmed to what the small plan alone allocates");
        devicePlan.UsedBytes.Should().Be(fresh.UsedBytes);
        devicePlan.Plan.Should().BeSameAs(smallPlan);
        RunAndCheck(attention, devicePlan, small, "small plan after Trim");

        devicePlan.Trim(); // nothing left to give back
        devicePlan.AllocatedBytes.Should().Be(fresh.AllocatedBytes);

        attention.Upload(devicePlan, bigPlan);
        devicePlan.AllocatedBytes.Should().Be(bigBytes, "a larger plan grows the buffers again");
        RunAndCheck(attention, devicePlan, big, "big plan after Trim");
    }

    [Fact]
    public void Trim_without_a_plan_frees_everything_and_a_disposed_plan_refuses()
    {
        var attention = fixture.For(Heads);
        var devicePlan = attention.CreatePlan();
        devicePlan.Trim();
        devicePlan.AllocatedBytes.Should().Be(0);
        devicePlan.Dispose();
        devicePlan.AllocatedBytes.Should().Be(0);
        FluentActions.Invoking(devicePlan.Trim).Should().Throw<ObjectDisposedException>().Which.ObjectName.Should().Contain(nameof(DevicePlan));
    }

    private static void RunAndCheck(DeFT.Kernels.TreeAttention attention, DevicePlan devicePlan, TreeCase tree, string context)
    {
        var data = AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, KernelCheck.Seed(nameof(DevicePlanMemoryTests), PlanMethod.Flatten, tree.SlotCount));
        using var inputs = new DeviceInputs(attention.Accelerator, data);
        var (output, lse) = inputs.Run(attention, devicePlan);
        ErrorMetrics.ShouldMatch(output, lse, ReferenceAttention.Compute(tree.Tree, tree.Queries, data), context);
    }
}
