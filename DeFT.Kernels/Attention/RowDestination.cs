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
    /// <summary>Element offset of the row's first dim in the output or the partial buffer.</summary>
    public long At;
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
        return new RowDestination { Direct = direct, At = lseAt * dim, LseAt = lseAt };
    }

    /// <summary>Writes the row's LSE from its log2-domain running max and sum (call from one lane).</summary>
    public readonly void WriteLse(AttentionParams p, float max, float sum)
    {
        float lse2 = max + XMath.Log2(sum);
        if (!Direct) p.PartialLse[LseAt] = lse2;
        else if (p.Lse.Length > 0) p.Lse[LseAt] = lse2 * Log2Domain.Ln2;
    }

    /// <summary>Writes dims <paramref name="dim"/>, <paramref name="dim"/>+1 (even) of the row.</summary>
    public readonly void Write2<TElement>(AttentionParams p, int dim, float x, float y) where TElement : struct, IElement
    {
        long at = At + dim;
        if (Direct)
        {
            // One 32-bit store of the rounded pair (the output is 4-byte aligned: TreeAttention.Run checks).
            p.Output.Cast<uint>()[at / 2] = default(TElement).Pack(x, y);
        }
        else if (default(TElement).HalfPartials)
        {
            // Packed rows of D/2 words from the workspace's start (it is sized for fp32 rows: the element type is the run's).
            p.PartialOutput.Cast<uint>()[at / 2] = default(TElement).Pack(x, y);
        }
        else
        {
            // The workspace is ours and rows start at multiples of D: a 64-bit store.
            p.PartialOutput.Cast<Float2>()[at / 2] = new Float2 { X = x, Y = y };
        }
    }
}
