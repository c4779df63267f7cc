using DeFT.Core;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Kernels;

namespace DeFT.Bench.Measurement;

/// <summary>
/// The double-precision reference for a sample of queries, with Q/K/V taken from <see cref="DeviceRandom"/>
/// seeds, so a method's output can be checked on workloads whose KV pool is too big to copy to the host.
/// </summary>
public sealed class SampledReference
{
    private readonly HeadConfig heads;

    /// <summary>
    /// Computes the reference for up to <paramref name="samples"/> queries spread over the list (all when fewer), with the
    /// inputs as <paramref name="elements"/> holds them.
    /// </summary>
    public SampledReference(DecodingTree tree, IReadOnlyList<TreeQuery> queries, HeadConfig heads, uint qSeed, uint kSeed, uint vSeed, int samples,
        ElementType elements = ElementType.Float16)
        : this(tree, queries, heads, samples, index => DeviceRandom.Value(qSeed, index, elements),
            (slot, element) => DeviceRandom.Value(kSeed, (long)slot * heads.KvHeads * heads.HeadDim + element, elements),
            (slot, element) => DeviceRandom.Value(vSeed, (long)slot * heads.KvHeads * heads.HeadDim + element, elements))
    {
    }

    /// <summary>
    /// Computes the reference for up to <paramref name="samples"/> queries with inputs given element by element:
    /// <paramref name="query"/> of an index into Q <c>[queries, Hq, D]</c>, <paramref name="key"/> and
    /// <paramref name="value"/> of a slot and an index into its row <c>[Hkv, D]</c>.
    /// </summary>
    public SampledReference(DecodingTree tree, IReadOnlyList<TreeQuery> queries, HeadConfig heads, int samples,
        Func<long, float> query, Func<int, int, float> key, Func<int, int, float> value)
    {
        this.heads = heads;
        int n = queries.Count;
        Indices = n <= samples ? Enumerable.Range(0, n).ToArray()
            : samples <= 1 ? [n / 2]
            : Enumerable.Range(0, samples).Select(i => (int)((long)i * (n - 1) / (samples - 1))).Distinct().ToArray();
        int d = heads.HeadDim;
        int row = heads.KvHeads * d;
        Output = new double[Indices.Length][];
        foreach (var (qi, k) in Indices.Select((q, k) => (q, k)))
        {
            var path = ReferenceAttention.PathSlots(tree, queries[qi]);
            // Compact K/V of this query's path: row j holds slot path[j] for every KV head.
            var keys = new float[(long)path.Count * row];
            var values = new float[keys.Length];
            for (int j = 0; j < path.Count; j++)
                for (int e = 0; e < row; e++)
                {
                    keys[(long)j * row + e] = key(path[j], e);
                    values[(long)j * row + e] = value(path[j], e);
                }
            var result = new double[heads.QueryHeads * d];
            var q = new float[d];
            for (int h = 0; h < heads.QueryHeads; h++)
            {
                for (int x = 0; x < d; x++) q[x] = query(((long)qi * heads.QueryHeads + h) * d + x);
                int kvh = h / heads.GroupSize;
                var offsets = Enumerable.Range(0, path.Count).Select(j => ((long)j * heads.KvHeads + kvh) * d).ToArray();
                SoftmaxAccumulator.Attend(q, offsets, keys, values, ScoreTransform.Default(heads), result.AsSpan(h * d, d));
            }
            Output[k] = result;
        }
    }

    /// <summary>The sampled query indices.</summary>
    public int[] Indices { get; }

    /// <summary>Reference output <c>[Hq, D]</c> of each sampled query.</summary>
    public double[][] Output { get; }

    /// <summary>Max absolute and relative L2 error of <paramref name="output"/> (<c>[queries, Hq, D]</c>) on the sample; NaN counts as infinite.</summary>
    public (double MaxAbs, double RelL2) Compare(float[] output)
    {
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        int row = heads.QueryHeads * heads.HeadDim;
        for (int k = 0; k < Indices.Length; k++)
            for (int e = 0; e < row; e++)
            {
                double expected = Output[k][e];
                double diff = output[(long)Indices[k] * row + e] - expected;
                if (double.IsNaN(diff)) return (double.PositiveInfinity, double.PositiveInfinity);
                maxAbs = Math.Max(maxAbs, Math.Abs(diff));
                diff2 += diff * diff;
                ref2 += expected * expected;
            }
        return (maxAbs, Math.Sqrt(diff2 / Math.Max(ref2, double.Epsilon)));
    }
}
