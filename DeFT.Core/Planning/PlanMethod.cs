namespace DeFT.Core.Planning;

/// <summary>How a plan groups queries and KV tokens into work items.</summary>
public enum PlanMethod
{
    /// <summary>DeFT-Flatten: the tree's KV flattened depth-first and cut into balanced blocks (KV-guided).</summary>
    Flatten,
    /// <summary>DeFT-Node: one group per tree node, long nodes chunked (KV-guided).</summary>
    Node,
    /// <summary>Node-aligned blocks packed by an IO cost model (this library's split; see <see cref="AdaptivePlanner"/>).</summary>
    Adaptive,
    /// <summary>Sequence-based (Q-guided, Flash-Decoding): one group per (query, chunk of its path).</summary>
    Sequence,
}
