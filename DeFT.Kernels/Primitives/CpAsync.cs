using ILGPU;
using ILGPU.IR.Intrinsics;
using ILGPU.Runtime;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// Asynchronous global → shared copies (<c>cp.async</c>, sm_80+): the copy bypasses registers, so a group issues
/// the next tile's loads and computes on the current one while they are in flight. <see cref="WaitAll"/> waits
/// until the calling thread's copies have landed; a group-wide barrier after it makes every thread's copies
/// visible to the others. (A two-stage pipeline that issues the next tile after that barrier never has more than
/// one tile in flight per thread, so it needs no commit groups.) On CUDA the instructions come from
/// <see cref="PtxIntrinsics"/>; on the CPU accelerator each copy is an ordinary load and store, done at once, so
/// kernels run the same code with the same shared-memory layout there.
/// </summary>
internal static class CpAsync
{
    /// <summary>
    /// Copies 16 bytes, element <paramref name="index"/> of <paramref name="source"/>, whose device address the caller
    /// gives as <paramref name="address"/> (a kernel that copies many elements derives it more cheaply than an element
    /// index could be turned into one here), to <paramref name="row"/> (a word that is a multiple of 4) of
    /// <paramref name="shared"/>; when <paramref name="valid"/> is false it writes 16 zero bytes and reads nothing (the
    /// index must still name an element of <paramref name="source"/>). On CUDA only the address is used, on the CPU only the index.
    /// </summary>
    public static void Copy16(SharedWindow shared, SharedRow row, ArrayView<Vec16> source, long index, long address, bool valid)
    {
        if (Accelerator.CurrentType == AcceleratorType.Cuda)
            Copy16At(row.Address, address, valid ? 16u : 0u);
        else
            shared.Words.Cast<Vec16>()[row.Word / 4] = valid ? source[index] : default;
    }

    /// <summary>As <see cref="Copy16"/> for 8 bytes (<paramref name="word"/> even): for sources only 8-byte aligned.</summary>
    public static void Copy8(SharedWindow shared, int word, ArrayView<long> source, long sourceAddress, long index, bool valid)
    {
        if (Accelerator.CurrentType == AcceleratorType.Cuda)
            Copy8At(shared.AddressOf(word), sourceAddress + index * 8L, valid ? 8u : 0u);
        else
            shared.Words.Cast<long>()[word / 2] = valid ? source[index] : 0L;
    }

    /// <summary>As <see cref="Copy16"/> for 4 bytes.</summary>
    public static void Copy4(SharedWindow shared, int word, ArrayView<int> source, long sourceAddress, long index, bool valid)
    {
        if (Accelerator.CurrentType == AcceleratorType.Cuda)
            Copy4At(shared.AddressOf(word), sourceAddress + index * 4L, valid ? 4u : 0u);
        else
            shared.Words[word] = valid ? (uint)source[index] : 0u;
    }

    /// <summary>
    /// The 16-byte <c>cp.async</c> from <paramref name="globalAddress"/> to <paramref name="sharedAddress"/>, zero-filled
    /// past <paramref name="sourceBytes"/> (PTX only: emitted by <see cref="PtxIntrinsics"/>).
    /// </summary>
    [IntrinsicImplementation]
    public static void Copy16At(uint sharedAddress, long globalAddress, uint sourceBytes) =>
        throw new NotSupportedException("cp.async exists only on CUDA.");

    /// <summary>As <see cref="Copy16At"/> for 8 bytes.</summary>
    [IntrinsicImplementation]
    public static void Copy8At(uint sharedAddress, long globalAddress, uint sourceBytes) =>
        throw new NotSupportedException("cp.async exists only on CUDA.");

    /// <summary>As <see cref="Copy16At"/> for 4 bytes.</summary>
    [IntrinsicImplementation]
    public static void Copy4At(uint sharedAddress, long globalAddress, uint sourceBytes) =>
        throw new NotSupportedException("cp.async exists only on CUDA.");

    /// <summary>Waits until every copy the calling thread issued has landed in shared memory (nothing to wait for on the CPU).</summary>
    [IntrinsicImplementation]
    public static void WaitAll()
    {
    }
}
