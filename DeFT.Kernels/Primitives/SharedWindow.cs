using ILGPU;
using ILGPU.IR.Intrinsics;
using ILGPU.Runtime;

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

    /// <summary>Word <paramref name="word"/> as a <see cref="SharedRow"/>, to derive nearby positions from by constant offsets.</summary>
    public readonly SharedRow Row(int word) => new(word, AddressOf(word));

    /// <summary>
    /// The word at <paramref name="row"/>: on CUDA one <c>ld.shared</c> at its address, so a constant offset from a row
    /// folds into the instruction (an indexed view load widens the index first, which keeps ptxas from folding it).
    /// </summary>
    public readonly uint Load(SharedRow row) => Accelerator.CurrentType == AcceleratorType.Cuda ? LoadAt(row.Address) : Words[row.Word];

    /// <summary>The <c>ld.shared.u32</c> at <paramref name="address"/> (PTX only: emitted by <see cref="PtxIntrinsics"/>).</summary>
    [IntrinsicImplementation]
    public static uint LoadAt(uint address) => throw new NotSupportedException("ld.shared at an address exists only on CUDA.");

    /// <summary>On CUDA the address of the dynamic shared memory, emitted by <see cref="PtxIntrinsics"/>; 0 on the CPU.</summary>
    [IntrinsicImplementation]
    public static uint BaseAddress() => 0u;
}
