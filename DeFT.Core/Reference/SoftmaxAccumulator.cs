namespace DeFT.Core.Reference;

/// <summary>
/// Double-precision softmax-weighted sum over a set of scores, computed in two passes
/// (max, then sum) so it is exact enough to serve as the oracle. Also merges partial
/// results with the LSE rule.
/// </summary>
public static class SoftmaxAccumulator
{
    /// <summary>
    /// Attention of one query row over the keys at <paramref name="keyOffsets"/>: writes softmax(logits)·V to
    /// <paramref name="output"/>, the logits being q·kᵀ through <paramref name="transform"/>, and returns their natural-log LSE.
    /// </summary>
    public static double Attend(ReadOnlySpan<float> q, IReadOnlyList<long> keyOffsets, float[] k, float[] v,
        ScoreTransform transform, Span<double> output)
    {
        int d = q.Length;
        var scores = new double[keyOffsets.Count];
        double max = double.NegativeInfinity;
        for (int j = 0; j < scores.Length; j++)
        {
            double s = 0;
            long o = keyOffsets[j];
            for (int x = 0; x < d; x++) s += (double)q[x] * k[o + x];
            scores[j] = transform.Apply(s);
            max = Math.Max(max, scores[j]);
        }
        output.Clear();
        double sum = 0;
        for (int j = 0; j < scores.Length; j++)
        {
            double p = Math.Exp(scores[j] - max);
            sum += p;
            long o = keyOffsets[j];
            for (int x = 0; x < d; x++) output[x] += p * v[o + x];
        }
        for (int x = 0; x < d; x++) output[x] /= sum;
        return max + Math.Log(sum);
    }

    /// <summary>
    /// Merges partial outputs with the LSE rule <c>O = Σ exp(lse_i − M)·o_i / Σ exp(lse_i − M)</c>,
    /// <c>M = max lse_i</c> (starting from −∞). Returns the merged LSE.
    /// </summary>
    public static double Merge(IReadOnlyList<double> lses, IReadOnlyList<double[]> outputs, Span<double> merged)
    {
        double max = double.NegativeInfinity;
        foreach (double l in lses) max = Math.Max(max, l);
        merged.Clear();
        double sum = 0;
        for (int i = 0; i < lses.Count; i++)
        {
            double w = Math.Exp(lses[i] - max);
            sum += w;
            for (int x = 0; x < merged.Length; x++) merged[x] += w * outputs[i][x];
        }
        for (int x = 0; x < merged.Length; x++) merged[x] /= sum;
        return max + Math.Log(sum);
    }
}
