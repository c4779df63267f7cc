using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// A group's dynamic shared memory seen two ways: as a view of 32-bit words (ordinary accesses, and the CPU
/// accelerator's emulation of the asynchronous copies and matrix loads) and as its address in the shared state
/// space (the operand of <c>cp.async</c> and <c>ldmatrix</c> in PTX). Kernels place their tiles at word offsets,
/// so one offset names the same bytes on both paths.
/// </summary>
public struct SharedWindow
{
    // ILGPU 1.5.3 declares every kernel's dynamic shared memory as this one extern symbol (PTXCodeGenerator's
    // DynamicSharedMemoryAllocationName), so inline PTX can take its address.
    private const string BaseAddressInstruction =
        "{ .reg .u64 a; mov.u64 a, __dyn_shared_alloca; cvt.u32.u64 %0, a; }";

    /// <summary>The words of the window.</summary>
    public ArrayView<uint> Words;

    /// <summary>Shared-state-space address of word 0 (PTX path only; 0 on the CPU accelerator).</summary>
    public uint Address;

    /// <summary>The dynamic shared memory of the calling group (the launch must request it in bytes).</summary>
    public static SharedWindow Dynamic()
    {
        var window = new SharedWindow { Words = SharedMemory.GetDynamic<uint>() };
        if (CudaAsm.IsSupported)
        {
            var address = default(Output<uint>);
            CudaAsm.EmitRef(BaseAddressInstruction, ref address);
            window.Address = address.Value;
        }
        return window;
    }

    /// <summary>Shared-state-space address of word <paramref name="word"/>.</summary>
    public readonly uint AddressOf(int word) => Address + (uint)word * 4u;
}
