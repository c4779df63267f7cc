namespace DeFT.Tests.Kernels;

/// <summary>Max absolute and relative L2 error of a result against the double-precision reference.</summary>
public static class ErrorMetrics
{
    public static (double MaxAbs, double RelL2) Compare(float[] actual, double[] expected)
    {
        actual.Length.Should().Be(expected.Length);
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            if (double.IsNaN(d)) return (double.PositiveInfinity, double.PositiveInfinity);
            maxAbs = Math.Max(maxAbs, Math.Abs(d));
            diff2 += d * d;
            ref2 += expected[i] * expected[i];
        }
        return (maxAbs, ref2 == 0 ? Math.Sqrt(diff2) : Math.Sqrt(diff2 / ref2));
    }
}
