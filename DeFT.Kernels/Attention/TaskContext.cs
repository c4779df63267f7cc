using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Algorithms;

namespace DeFT.Kernels.Attention;

/// <summary>
/// The prologue every partial-attention kernel shares: which task, work item and KV head the calling group runs
/// (group index <c>task·Hkv + kvHead</c>) and which of the item's rows are the task's. Rows are (query, query head
/// of the KV head) pairs, query-major.
/// </summary>
internal struct TaskContext
{
    /// <summary>The work item.</summary>
    public WorkItem Item;
    /// <summary>The item's first row that belongs to this task.</summary>
    public int RowBegin;
    /// <summary>Rows of this task (at most the kernel's rows per task).</summary>
    public int RowCount;
    /// <summary>KV head of this group.</summary>
    public int KvHead;
    /// <summary>Division by the query heads per KV head (G): rows are query-major, so a row's query is row / G.</summary>
    public FastDivisor GroupHeads;

    /// <summary>The calling group's task, for a kernel of <paramref name="rowsPerTask"/> rows per task.</summary>
    public static TaskContext Current(AttentionParams p, int rowsPerTask)
    {
        // No `/` or `%` by a runtime value here or in the row helpers: each would compile to ~25 dependent instructions
        // at the head of every task's chain of loads.
        int group = Grid.IdxX;
        int taskIndex = p.KvHeadDivisor.Divide(group);
        var task = p.Tasks[taskIndex];
        var item = task.Item;
        return new TaskContext
        {
            Item = item,
            RowBegin = task.RowBegin,
            RowCount = XMath.Min(rowsPerTask, item.QueryCount * p.GroupHeadDivisor.Divisor - task.RowBegin),
            KvHead = group - taskIndex * p.KvHeads,
            GroupHeads = p.GroupHeadDivisor,
        };
    }

    /// <summary>Ordered query position of task row <paramref name="row"/>, or -1 past the task's rows.</summary>
    public readonly int Position(int row) => row >= 0 && row < RowCount ? Item.QueryBegin + GroupHeads.Divide(RowBegin + row) : -1;

    /// <summary>Query head of task row <paramref name="row"/> (a row of the task).</summary>
    public readonly int Head(int row) => KvHead * GroupHeads.Divisor + GroupHeads.Remainder(RowBegin + row);

    /// <summary>Element offset of task row <paramref name="row"/>'s Q vector in <c>[queries, Hq, D]</c>.</summary>
    public readonly long QOffset(AttentionParams p, int row, int dim) =>
        ((long)p.QueryOrder[Position(row)] * p.QueryHeads + Head(row)) * dim;
}
