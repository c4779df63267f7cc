using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Attention;

/// <summary>
/// One pass of a thread's Q staging in <see cref="TensorCoreAttentionKernel"/>'s prologue: the task's Q rows go to stage 1's
/// space, row-major with the K/V row stride, by 16-byte <c>cp.async</c>, with the K/V copies' mapping (thread i copies
/// chunk i mod C of task rows i / C, i / C + R, ..., R = <see cref="TensorCoreLayout.RowsPerCopyPass{TShape}"/>). Task row
/// r is head (RowBegin + r) mod G of the query at ordered position (RowBegin + r) / G past the item's first. Each pass
/// finds its row's Q on its own (<see cref="TaskContext.QOffset"/>: <see cref="FastDivisor"/>, a multiply and a shift) and <see cref="QPasses"/>
/// writes the passes out in two rounds, <see cref="Load"/> then <see cref="Issue"/>: every pass's query-id load is
/// issued before the first copy waits for one (one round trip for all, where a loop waited once per row).
/// </summary>
internal struct QPass
{
    /// <summary>Index of this pass's Q chunk in <c>Q</c> (16-byte units), and whether its row is one of the task's.</summary>
    public long At;
    public bool Valid;

    /// <summary>Finds pass <paramref name="block"/>'s Q chunk: this thread's chunk of task row <paramref name="firstRow"/> + block · R.</summary>
    public void Load<TShape>(int block, AttentionParams p, in TaskContext task, int firstRow, int chunk)
        where TShape : struct, ITensorCoreShape
    {
        int r = firstRow + block * TensorCoreLayout.RowsPerCopyPass<TShape>();
        Valid = r < task.RowCount;
        // An invalid row reads row 0's query id (in the plan) and copies nothing. A chunk is 8 elements.
        At = (task.QOffset(p, Valid ? r : 0, default(TShape).Value) >> 3) + chunk;
    }

    /// <summary>
    /// Copies pass <paramref name="block"/>'s chunk (zero-filled past the task's rows) to <paramref name="q"/> + its row
    /// (<paramref name="q"/>: this thread's chunk of its first row in shared memory).
    /// </summary>
    public readonly void Issue<TShape>(int block, AttentionParams p, SharedWindow smem, SharedRow q, int firstRow)
        where TShape : struct, ITensorCoreShape
    {
        int rowsPerPass = TensorCoreLayout.RowsPerCopyPass<TShape>();
        int rowsPerTask = TensorCoreLayout.RowsPerTask<TShape>();
        // A last pass that covers part of the task (D 96: 10 rows per pass) must not write past the Q rows; a constant
        // false for the shapes whose passes tile the task.
        if (rowsPerTask % rowsPerPass != 0 && firstRow + block * rowsPerPass >= rowsPerTask) return;
        CpAsync.Copy16(smem, q.Plus(block * rowsPerPass * TensorCoreLayout.RowWords<TShape>()), p.Q.Cast<Vec16>(), At,
            p.QAddress + 16L * At, Valid);
    }
}

/// <summary>A thread's Q staging passes (<see cref="TensorCoreLayout.QPasses{TShape}"/> of them), written out by DeFT.Kernels.Generators.</summary>
[UnrolledBlocks(typeof(QPass), MaxPasses, 1)]
internal partial struct QPasses
{
    /// <summary>Most passes a tile shape may need (the one-warp shape at D = 256: 16 rows of one 512-byte row per pass).</summary>
    public const int MaxPasses = 16;
}
