using DeFT.Core.Planning;
using DeFT.Kernels.Device;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Compares a device plan's buffers with a host plan, element for element (a download: for tests and the bench's
/// checks, never in a decode loop).
/// </summary>
internal static class DevicePlanContents
{
    /// <summary>The first array in which <paramref name="planned"/> differs from <paramref name="expected"/>, or null when it holds it.</summary>
    public static string? FirstDifference(DevicePlan planned, AttentionPlan expected)
    {
        planned.Owner.Accelerator.Synchronize();
        if (!planned.HasPlan) return "the device plan holds no plan";
        if (planned.QueryCount != expected.QueryCount) return $"query count {planned.QueryCount} vs {expected.QueryCount}";
        if (planned.MaxSlot != expected.MaxSlot) return $"max slot {planned.MaxSlot} vs {expected.MaxSlot}";
        return Differs("token slots", planned.TokenSlots, expected.TokenSlots)
            ?? Differs("token visibility", planned.TokenVisibility, expected.TokenVisibility)
            ?? CarriedItemsDiffer(planned, expected)
            ?? Differs("query order", planned.QueryOrder, expected.QueryOrder)
            ?? Differs("partial offsets", planned.PartialOffsets, expected.PartialOffsets)
            ?? Differs("partial slots", planned.PartialSlots, expected.PartialSlots);
    }

    /// <summary>The buffer's contents, copied to the host.</summary>
    public static T[] Download<T>(DeviceBuffer<T> buffer) where T : unmanaged
    {
        var host = new T[buffer.View.Length];
        if (host.Length > 0) buffer.View.AsDense().CopyToCPU(host);
        return host;
    }

    // The work items the tasks carry (every task a copy of its item's) against the plan's, as sets: a plan's narrow tasks
    // follow all its wide ones, so the tasks do not list the items in order.
    private static string? CarriedItemsDiffer(DevicePlan planned, AttentionPlan expected)
    {
        var carried = Download(planned.Tasks).Select(task => task.Item).ToHashSet();
        var items = expected.Items.ToArray();
        if (carried.Count == items.Length && carried.SetEquals(items)) return null;
        var missing = items.FirstOrDefault(item => !carried.Contains(item));
        return $"work items: the tasks carry {carried.Count} distinct items, the plan has {items.Length} (first not carried: {missing})";
    }

    private static string? Differs<T>(string name, DeviceBuffer<T> buffer, ReadOnlySpan<T> expected) where T : unmanaged, IEquatable<T>
    {
        var actual = Download(buffer);
        if (actual.Length != expected.Length) return $"{name}: {actual.Length} elements vs {expected.Length}";
        for (int i = 0; i < actual.Length; i++)
            if (!actual[i].Equals(expected[i])) return $"{name}[{i}]: {actual[i]} vs {expected[i]}";
        return null;
    }
}
