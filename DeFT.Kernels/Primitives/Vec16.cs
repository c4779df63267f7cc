namespace DeFT.Kernels.Primitives;

/// <summary>
/// 16 bytes moved as one unit: with ILGPU's O2 a load of this struct through
/// <c>ArrayView.Cast&lt;Vec16&gt;()</c> becomes one 128-bit <c>ld.global.v4</c>.
/// Holds 8 fp16 values, or 4 fp32 values.
/// </summary>
internal struct Vec16
{
    /// <summary>Words 0..3.</summary>
    public int X, Y, Z, W;
}
