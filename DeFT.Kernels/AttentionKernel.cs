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
    /// <see cref="Attention.TensorCoreAttentionKernel"/>: <c>mma.sync.m16n8k16</c> tensor cores with <c>cp.async</c>
    /// double buffering, 64 rows per task (4 warps) on plans that share KV and 16 (one warp, six groups per SM) on
    /// streaming plans (<see cref="TreeAttention.IsStreaming"/>). Runs on the CPU accelerator through an emulation of
    /// the instructions (slow; for tests).
    /// </summary>
    TensorCore,

    /// <summary>
    /// The library's choice: today <see cref="TensorCore"/> for every plan (since run v10 on an H200 the tensor-core
    /// kernel's streaming shape also beats the CUDA-core kernel on trees without sharing: 1.5 vs 2.95 ms on
    /// D_pat_256_4096 at 32:8, as the four-warp shape already did). The default on CUDA devices.
    /// </summary>
    Auto,
}
