using ILGPU;
using ILGPU.IR.Intrinsics;
using ILGPU.Runtime;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Global loads that bypass the SM's L1 cache (<c>ld.global.cg</c>), for data other groups wrote during the same launch:
/// L1 is not coherent, so a line this SM cached before another group's write (an LSE line holds 32 heads' values, written
/// by different groups) would be read stale. Each load takes the element's device address (used on CUDA) and its view
/// and index (used on the CPU accelerator, where it is an ordinary read). On CUDA the instructions come from
/// <see cref="PtxIntrinsics"/>.
/// </summary>
internal static class L2Load
{
    /// <summary>Element <paramref name="index"/> of <paramref name="view"/>, at device address <paramref name="address"/>.</summary>
    public static uint Word(ArrayView<uint> view, long index, long address) =>
        Accelerator.CurrentType == AcceleratorType.Cuda ? WordAt(address) : view[index];

    /// <summary>As <see cref="Word"/> for a float.</summary>
    public static float Single(ArrayView<float> view, long index, long address) =>
        Interop.IntAsFloat(Word(view.Cast<uint>(), index, address));

    /// <summary>As <see cref="Word"/> for two floats (8-byte aligned).</summary>
    public static Float2 Pair(ArrayView<Float2> view, long index, long address) =>
        Accelerator.CurrentType == AcceleratorType.Cuda ? PairAt(address) : view[index];

    /// <summary>The 4-byte <c>ld.global.cg</c> (PTX only: emitted by <see cref="PtxIntrinsics"/>).</summary>
    [IntrinsicImplementation]
    public static uint WordAt(long address) => throw new NotSupportedException("ld.global.cg exists only on CUDA.");

    /// <summary>The 8-byte <c>ld.global.cg.v2.f32</c> (PTX only).</summary>
    [IntrinsicImplementation]
    public static Float2 PairAt(long address) => throw new NotSupportedException("ld.global.cg exists only on CUDA.");
}
