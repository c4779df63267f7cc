using ILGPU;
using ILGPU.IR.Intrinsics;
using ILGPU.Runtime;

namespace DeFT.Kernels.Primitives;

/// <summary>Four 32-bit registers, as <c>ldmatrix.x4</c> returns them: <see cref="R0"/>..<see cref="R3"/> from matrices 0..3.</summary>
internal struct Registers4
{
    /// <summary>From matrix 0, 1, 2, 3.</summary>
    public uint R0, R1, R2, R3;
}

/// <summary>
/// Warp-wide loads of four 8×8 fp16 matrices from shared memory into mma fragments (<c>ldmatrix.x4</c>, sm_75+).
/// Lane l names row l mod 8 of matrix l / 8 (the word offset of its 16 contiguous bytes); lane l (g = l/4, t = l%4)
/// receives, of each matrix m, row g's columns 2t, 2t+1 in register m (<see cref="X4"/>) or column g's rows 2t, 2t+1
/// (<see cref="X4Transposed"/>, which turns a row-major tile into "col" B fragments). All 32 lanes must call together.
/// <para>
/// On CUDA the instruction comes from <see cref="PtxIntrinsics"/>. On the CPU accelerator the rows' offsets are
/// gathered with shuffles and read from the shared view: the same fragments, so the kernels' fragment indexing is
/// tested there. (The branch is on the accelerator type: the emulation needs the view, which an intrinsic cannot take.)
/// </para>
/// </summary>
internal static class LdMatrix
{
    /// <summary>Four matrices, row by row; <paramref name="row"/> is this lane's row (16-byte aligned).</summary>
    public static Registers4 X4(SharedWindow shared, SharedRow row)
    {
        if (Accelerator.CurrentType == AcceleratorType.Cuda) return Load(row.Address);
        int word = row.Word;
        int g = Warp.LaneIdx >> 2, t = Warp.LaneIdx & 3;
        var words = shared.Words;
        return new Registers4
        {
            R0 = words[Warp.Shuffle(word, g) + t],
            R1 = words[Warp.Shuffle(word, 8 + g) + t],
            R2 = words[Warp.Shuffle(word, 16 + g) + t],
            R3 = words[Warp.Shuffle(word, 24 + g) + t],
        };
    }

    /// <summary>Four matrices, transposed; <paramref name="row"/> is this lane's row (16-byte aligned).</summary>
    public static Registers4 X4Transposed(SharedWindow shared, SharedRow row)
    {
        if (Accelerator.CurrentType == AcceleratorType.Cuda) return LoadTransposed(row.Address);
        int word = row.Word;
        int t = Warp.LaneIdx & 3;
        return new Registers4
        {
            R0 = Column(shared.Words, Warp.Shuffle(word, 2 * t), Warp.Shuffle(word, 2 * t + 1)),
            R1 = Column(shared.Words, Warp.Shuffle(word, 8 + 2 * t), Warp.Shuffle(word, 8 + 2 * t + 1)),
            R2 = Column(shared.Words, Warp.Shuffle(word, 16 + 2 * t), Warp.Shuffle(word, 16 + 2 * t + 1)),
            R3 = Column(shared.Words, Warp.Shuffle(word, 24 + 2 * t), Warp.Shuffle(word, 24 + 2 * t + 1)),
        };
    }

    /// <summary>The <c>ldmatrix.x4</c> at shared <paramref name="address"/> (PTX only: emitted by <see cref="PtxIntrinsics"/>).</summary>
    [IntrinsicImplementation]
    public static Registers4 Load(uint address) => throw new NotSupportedException("ldmatrix exists only on CUDA.");

    /// <summary>The <c>ldmatrix.x4.trans</c> at shared <paramref name="address"/> (PTX only).</summary>
    [IntrinsicImplementation]
    public static Registers4 LoadTransposed(uint address) => throw new NotSupportedException("ldmatrix exists only on CUDA.");

    // Column g (this lane's quad) of two rows: the fp16 at column g of each, the first in the low half.
    private static uint Column(ArrayView<uint> words, int firstRow, int secondRow)
    {
        int g = Warp.LaneIdx >> 2;
        int shift = (g & 1) * 16;
        uint low = (words[firstRow + g / 2] >> shift) & 0xFFFFu;
        uint high = (words[secondRow + g / 2] >> shift) & 0xFFFFu;
        return low | (high << 16);
    }
}
