using ILGPU;
using ILGPU.IR.Intrinsics;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// A group's dynamic shared memory seen two ways: as a view of 32-bit words (ordinary accesses, and the CPU
/// accelerator's emulation of the asynchronous copies and matrix loads) and as its address in the shared state
/// space (the operand of <c>cp.async</c> and <c>ldmatrix</c> in PTX). Kernels place their tiles at word offsets,
/// so one offset names the same bytes on both paths.
/// </summary>
internal struct SharedWindow
{
    /// <summary>The words of the window.</summary>
    public ArrayView<uint> Words;

    /// <summary>Shared-state-space address of word 0 (0 on the CPU accelerator).</summary>
    public uint Address;

    /// <summary>The dynamic shared memory of the calling group (the launch must request it in bytes).</summary>
    public static SharedWindow Dynamic() => new() { Words = SharedMemory.GetDynamic<uint>(), Address = BaseAddress() };

    /// <summary>Shared-state-space address of word <paramref name="word"/>.</summary>
    public readonly uint AddressOf(int word) => Address + (uint)word * 4u;

    /// <summary>On CUDA the address of the dynamic shared memory, emitted by <see cref="PtxIntrinsics"/>; 0 on the CPU.</summary>
    [IntrinsicImplementation]
    public static uint BaseAddress() => 0u;
}
