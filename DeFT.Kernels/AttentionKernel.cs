namespace DeFT.Kernels;

/// <summary>Which partial-attention kernel a <see cref="TreeAttention"/> runs (the merge kernel is shared).</summary>
public enum AttentionKernel
{
    /// <summary>
    /// <see cref="Attention.PartialAttentionKernel"/>: fp32 FMA on CUDA cores, 16 rows per task. Fine for
    /// small, memory-bound trees and the comparison point; the default off CUDA (its CPU emulation is fast).
    /// </summary>
    CudaCore,

    /// <summary>
    /// <see cref="Attention.TensorCoreAttentionKernel"/>: <c>mma.sync.m16n8k16</c> tensor cores, 64 rows per task;
    /// for high-sharing, compute-bound trees. The default on CUDA devices. Runs on the CPU accelerator through a
    /// warp-shuffle emulation of the instruction (slow; for tests).
    /// </summary>
    TensorCore,

    /// <summary>
    /// Chosen per plan at <see cref="TreeAttention.Upload"/> by <see cref="TreeAttention.ChooseKernel"/>: tensor cores
    /// when the plan's work items share their KV among queries (compute-bound), the CUDA-core kernel when every KV
    /// token is read for about one query (memory-bound: its 64 registers keep 8 groups per SM in flight against the
    /// tensor-core kernel's 2). The default on CUDA devices.
    /// </summary>
    Auto,
}
