using DeFT.Core.Reference;

namespace DeFT.Tests.Kernels;

/// <summary>Max absolute and relative L2 error of a result against the double-precision reference, and the DESIGN.md §5 bounds.</summary>
public static class ErrorMetrics
{
    /// <summary>Largest |Δ| allowed on the output (fp16 inputs and output, fp32 accumulation).</summary>
    public const double OutputMaxAbs = 2e-3;

    /// <summary>Largest relative L2 error allowed on the output.</summary>
    public const double OutputRelL2 = 1e-3;

    /// <summary>Largest |Δ| allowed on the natural-log LSE.</summary>
    public const double LseMaxAbs = 1e-3;

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

    /// <summary>
    /// Asserts the output (and, unless <paramref name="lse"/> is null, the LSE) are within the bounds of the
    /// reference. A NaN anywhere (an element the kernels never wrote over the poison) fails. Returns the errors.
    /// </summary>
    public static (double MaxAbs, double RelL2, double LseMaxAbs) ShouldMatch(float[] output, float[]? lse, AttentionResult reference, string what)
    {
        output.Should().NotContain(float.NaN, "every output element must be written ({0})", what);
        var (maxAbs, rel) = Compare(output, reference.Output);
        maxAbs.Should().BeLessThanOrEqualTo(OutputMaxAbs, "max |Δ| of the output ({0})", what);
        rel.Should().BeLessThanOrEqualTo(OutputRelL2, "relative L2 error of the output ({0})", what);
        double lseAbs = double.NaN;
        if (lse is not null)
        {
            lse.Should().NotContain(float.NaN, "every LSE element must be written ({0})", what);
            lseAbs = Compare(lse, reference.Lse).MaxAbs;
            lseAbs.Should().BeLessThanOrEqualTo(LseMaxAbs, "max |Δ| of the LSE ({0})", what);
        }
        return (maxAbs, rel, lseAbs);
    }
}
