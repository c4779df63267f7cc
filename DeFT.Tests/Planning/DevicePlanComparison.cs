using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;

namespace DeFT.Tests.Planning;

/// <summary>Downloads a device plan's buffers and compares them, element for element, with a host plan uploaded the usual way.</summary>
internal static class DevicePlanComparison
{
    public static T[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged => DevicePlanContents.Download(buffer);

    /// <summary>
    /// Asserts that <paramref name="planned"/> (built on the device) holds <paramref name="expected"/>: its arrays, and the
    /// tasks, kernel and workspace that <see cref="TreeAttention.Upload"/> of <paramref name="expected"/> would give.
    /// </summary>
    public static void AssertHolds(TreeAttention attention, DevicePlan planned, AttentionPlan expected, string because)
    {
        DevicePlanContents.FirstDifference(planned, expected).Should().BeNull(because);
        planned.Plan.Should().BeNull(because);
        using var uploaded = attention.CreatePlan();
        attention.Upload(uploaded, expected);
        planned.Kernel.Should().Be(uploaded.Kernel, because);
        planned.PackRows.Should().Be(uploaded.PackRows, because);
        planned.TaskCount.Should().Be(uploaded.TaskCount, because);
        planned.WideTaskCount.Should().Be(uploaded.WideTaskCount, because);
        planned.Merges.Should().Be(uploaded.Merges, because);
        Download(planned.Tasks).Should().Equal(Download(uploaded.Tasks), "tasks: " + because);
        planned.PartialOutput.View.Length.Should().Be(uploaded.PartialOutput.View.Length, because);
        planned.PartialLse.View.Length.Should().Be(uploaded.PartialLse.View.Length, because);
        planned.UsedBytes.Should().Be(uploaded.UsedBytes, because);
    }
}
