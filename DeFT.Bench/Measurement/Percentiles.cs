namespace DeFT.Bench.Measurement;

/// <summary>Median and spread of repeated timings.</summary>
public readonly record struct Percentiles(double P10, double Median, double P90)
{
    /// <summary>Nearest-rank percentiles with linear interpolation; throws on an empty sample.</summary>
    public static Percentiles Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("No samples.", nameof(samples));
        var s = samples.OrderBy(x => x).ToArray();
        return new Percentiles(At(s, 0.1), At(s, 0.5), At(s, 0.9));
    }

    /// <summary>The <paramref name="q"/>-quantile of sorted <paramref name="sorted"/>, interpolated.</summary>
    public static double At(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
