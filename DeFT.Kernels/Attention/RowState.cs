namespace DeFT.Kernels.Attention;

/// <summary>
/// One row's online-softmax state as one lane of a warp holds it: the running max (log2 domain, warp-wide),
/// this lane's share of the running sum, and this lane's (up to 4) output dims. A plain struct of scalars,
/// so ILGPU keeps it in registers.
/// </summary>
internal struct RowState
{
    /// <summary>Ordered query position of the row, or -1 when the slot holds no row.</summary>
    public int Position;
    /// <summary>Running max of the row's scores.</summary>
    public float Max;
    /// <summary>This lane's part of the running sum of exp2(score − max).</summary>
    public float Sum;
    /// <summary>Output dims of this lane.</summary>
    public float O0, O1, O2, O3;

    /// <summary>A fresh state for the row at <paramref name="position"/>.</summary>
    public static RowState Start(int position) => new() { Position = position, Max = float.NegativeInfinity };
}
