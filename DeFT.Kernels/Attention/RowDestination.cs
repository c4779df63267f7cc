using DeFT.Core.Planning;
using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// The epilogue every partial-attention kernel shares: where one finished row goes. A row whose query has a single
/// partial (its whole path lies in this item) is final: 16-bit output (the kernel's element type) and natural-log LSE. Other rows write their
/// normalised partial (as element pairs where <see cref="IElement.HalfPartials"/>, else fp32) and log2 LSE for
/// <see cref="MergeKernel"/>. A row that saw no token writes nothing.
/// </summary>
internal struct RowDestination
{
    /// <summary>True for a final row (16-bit output), false for a partial.</summary>
    public bool Direct;
    /// <summary>The row as 16-bit element pairs: its output row, or its partial row where <see cref="IElement.HalfPartials"/>.</summary>
    public ArrayView<uint> Pairs;
    /// <summary>The row as fp32 pairs: its partial row where partials are fp32 (unused for a final row).</summary>
    public ArrayView<Float2> Floats;
    /// <summary>Index of the row's LSE in the output LSE or the partial LSE buffer.</summary>
    public long LseAt;

    /// <summary>The destination of task row <paramref name="row"/> (ordered position <paramref name="position"/>).</summary>
    public static RowDestination For(AttentionParams p, in TaskContext task, int row, int position, int dim)
    {
        int head = task.Head(row);
        int query = p.QueryOrder[position];
        bool direct = p.PartialOffsets[query + 1] - p.PartialOffsets[query] == 1;
        long index = direct ? query : task.Item.PartialBase + position - task.Item.QueryBegin;
        long lseAt = index * p.QueryHeads + head;
        // The row's view is chosen once, so each store below is a constant offset from one address (no branch per store).
        // Half partials are packed rows of D/2 words from the workspace's start (it is sized for fp32 rows); the output
        // and the workspace are 4-byte aligned (TreeAttention.Run checks the output; the workspace is ours).
        long pairAt = lseAt * (dim / 2);
        var pairs = direct ? p.Output.Cast<uint>() : p.PartialOutput.Cast<uint>();
        return new RowDestination
        {
            Direct = direct,
            Pairs = pairs.SubView(pairAt, dim / 2),
            Floats = direct ? default : p.PartialOutput.Cast<Float2>().SubView(pairAt, dim / 2),
            LseAt = lseAt,
        };
    }

    /// <summary>Writes the row's LSE from its log2-domain running max and sum (call from one lane).</summary>
    public readonly void WriteLse(AttentionParams p, float max, float sum)
    {
        float lse2 = max + XMath.Log2(sum);
        if (!Direct) p.PartialLse[LseAt] = lse2;
        else if (p.Lse.Length > 0) p.Lse[LseAt] = lse2 * Log2Domain.Ln2;
    }

    /// <summary>Writes dims <paramref name="dim"/>, <paramref name="dim"/>+1 (even) of the row.</summary>
    public readonly void Write2<TElement>(int dim, float x, float y) where TElement : struct, IElement
    {
        if (default(TElement).HalfPartials || Direct) Pairs[dim / 2] = default(TElement).Pack(x, y);
        else Floats[dim / 2] = new Float2 { X = x, Y = y };
    }
}
