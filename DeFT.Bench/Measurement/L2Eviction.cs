namespace DeFT.Bench.Measurement;

/// <summary>What the <c>run</c> command does to the GPU's L2 cache before every timed call.</summary>
public enum L2Eviction
{
    /// <summary>
    /// Read a buffer much larger than L2 (<see cref="L2Evictor"/>): the cache then holds clean lines of that buffer,
    /// so the timed call starts cold and pays for no write-backs. What FastTree's harness and Triton's
    /// <c>do_bench</c> do. The default.
    /// </summary>
    Read,

    /// <summary>
    /// Clear (memset) a buffer much larger than L2: also evicts, but leaves L2 full of dirty lines that the timed
    /// call's misses must write back first (a few µs). The bench's method up to run v7.
    /// </summary>
    Clear,

    /// <summary>Nothing: L2 stays warm from the previous call (<c>--warm-l2</c>).</summary>
    None,
}
