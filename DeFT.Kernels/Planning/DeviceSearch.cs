using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>Binary searches over sorted device arrays, for planning threads that must find their segment (O(log n), no recursion).</summary>
internal static class DeviceSearch
{
    /// <summary>The first index in <c>[0, length)</c> whose value exceeds <paramref name="value"/> (<paramref name="length"/> if none).</summary>
    public static int UpperBound(ArrayView<int> sorted, int length, int value)
    {
        int lo = 0, hi = length;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (sorted[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The first index in <c>[begin, end)</c> whose value is at least <paramref name="value"/> (<paramref name="end"/> if none).</summary>
    public static int LowerBound(ArrayView<long> sorted, int begin, int end, long value)
    {
        int lo = begin, hi = end;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (sorted[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
