using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Primitives;

/// <summary>Four 32-bit registers, as <c>ldmatrix.x4</c> returns them: <see cref="R0"/>..<see cref="R3"/> from matrices 0..3.</summary>
public struct Registers4
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
/// On the CPU accelerator the rows' offsets are gathered with shuffles and read from the shared view: the same
/// fragments, so the kernels' fragment indexing is tested there.
/// </para>
/// </summary>
public static class LdMatrix
{
    private const string X4Instruction = "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];";
    private const string X4TransposedInstruction = "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];";

    /// <summary>Four matrices, row by row; <paramref name="word"/> is this lane's row (16-byte aligned).</summary>
    public static Registers4 X4(ref AsmOperands slots, SharedWindow shared, int word)
    {
        if (CudaAsm.IsSupported)
        {
            slots.Address.Value = shared.AddressOf(word);
            CudaAsm.EmitRef(X4Instruction, ref slots.R0, ref slots.R1, ref slots.R2, ref slots.R3, ref slots.Address);
            return Result(ref slots);
        }
        int g = Warp.LaneIdx >> 2, t = Warp.LaneIdx & 3;
        return new Registers4
        {
            R0 = shared.Words[Warp.Shuffle(word, g) + t],
            R1 = shared.Words[Warp.Shuffle(word, 8 + g) + t],
            R2 = shared.Words[Warp.Shuffle(word, 16 + g) + t],
            R3 = shared.Words[Warp.Shuffle(word, 24 + g) + t],
        };
    }

    /// <summary>Four matrices, transposed; <paramref name="word"/> is this lane's row (16-byte aligned).</summary>
    public static Registers4 X4Transposed(ref AsmOperands slots, SharedWindow shared, int word)
    {
        if (CudaAsm.IsSupported)
        {
            slots.Address.Value = shared.AddressOf(word);
            CudaAsm.EmitRef(X4TransposedInstruction, ref slots.R0, ref slots.R1, ref slots.R2, ref slots.R3, ref slots.Address);
            return Result(ref slots);
        }
        int t = Warp.LaneIdx & 3;
        return new Registers4
        {
            R0 = Column(shared, Warp.Shuffle(word, 2 * t), Warp.Shuffle(word, 2 * t + 1)),
            R1 = Column(shared, Warp.Shuffle(word, 8 + 2 * t), Warp.Shuffle(word, 8 + 2 * t + 1)),
            R2 = Column(shared, Warp.Shuffle(word, 16 + 2 * t), Warp.Shuffle(word, 16 + 2 * t + 1)),
            R3 = Column(shared, Warp.Shuffle(word, 24 + 2 * t), Warp.Shuffle(word, 24 + 2 * t + 1)),
        };
    }

    // The instruction string must be a constant at each EmitRef call, so the two loads share only this.
    private static Registers4 Result(ref AsmOperands slots) =>
        new() { R0 = slots.R0.Value, R1 = slots.R1.Value, R2 = slots.R2.Value, R3 = slots.R3.Value };

    // Column g (this lane's quad) of two rows: the fp16 at column g of each, the first in the low half.
    private static uint Column(SharedWindow shared, int firstRow, int secondRow)
    {
        int g = Warp.LaneIdx >> 2;
        int shift = (g & 1) * 16;
        uint low = (shared.Words[firstRow + g / 2] >> shift) & 0xFFFFu;
        uint high = (shared.Words[secondRow + g / 2] >> shift) & 0xFFFFu;
        return low | (high << 16);
    }
}
