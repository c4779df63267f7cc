using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using ILGPU.Runtime;

namespace DeFT.Tests.Planning;

/// <summary>Downloads a device plan's buffers and compares them, element for element, with a host plan uploaded the usual way.</summary>
internal static class DevicePlanComparison
{
    public static T[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        var host = new T[buffer.View.Length];
        if (host.Length > 0) buffer.View.AsDense().CopyToCPU(host);
        return host;
    }

    /// <summary>
    /// Asserts that <paramref name="planned"/> (built on the device) holds <paramref name="expected"/>: its arrays, and the
    /// tasks, kernel and workspace that <see cref="TreeAttention.Upload"/> of <paramref name="expected"/> would give.
    /// </summary>
    public static void AssertHolds(TreeAttention attention, DevicePlan planned, AttentionPlan expected, string because)
    {
        planned.Owner.Accelerator.Synchronize();
        planned.HasPlan.Should().BeTrue(because);
        planned.Plan.Should().BeNull(because);
        Download(planned.TokenSlots).Should().Equal(expected.TokenSlots.ToArray(), "token slots: " + because);
        Download(planned.TokenVisibility).Should().Equal(expected.TokenVisibility.ToArray(), "token visibility: " + because);
        Download(planned.Items).Should().Equal(expected.Items.ToArray(), "work items: " + because);
        Download(planned.QueryOrder).Should().Equal(expected.QueryOrder.ToArray(), "query order: " + because);
        Download(planned.PartialOffsets).Should().Equal(expected.PartialOffsets.ToArray(), "partial offsets: " + because);
        Download(planned.PartialSlots).Should().Equal(expected.PartialSlots.ToArray(), "partial slots: " + because);
        planned.QueryCount.Should().Be(expected.QueryCount, because);
        planned.MaxSlot.Should().Be(expected.MaxSlot, because);

        using var uploaded = attention.CreatePlan();
        attention.Upload(uploaded, expected);
        planned.Kernel.Should().Be(uploaded.Kernel, because);
        planned.PackRows.Should().Be(uploaded.PackRows, because);
        planned.TaskCount.Should().Be(uploaded.TaskCount, because);
        Download(planned.Tasks).Should().Equal(Download(uploaded.Tasks), "tasks: " + because);
        planned.PartialOutput.View.Length.Should().Be(uploaded.PartialOutput.View.Length, because);
        planned.PartialLse.View.Length.Should().Be(uploaded.PartialLse.View.Length, because);
        planned.UsedBytes.Should().Be(uploaded.UsedBytes, because);
    }
}
