namespace DeFT.Kernels.Primitives;

/// <summary>The kernels keep scores and LSEs in the log2 domain (exp2 only); this converts at the edges.</summary>
internal static class Log2Domain
{
    /// <summary>ln 2: a log2-domain LSE times this is the natural-log LSE.</summary>
    public const float Ln2 = 0.693147180559945309f;
}
