using DeFT.Core.Planning;
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
    /// <summary>Query heads per KV head (G).</summary>
    public int GroupHeads;

    /// <summary>The calling group's task, for a kernel of <paramref name="rowsPerTask"/> rows per task.</summary>
    public static TaskContext Current(AttentionParams p, int rowsPerTask)
    {
        var task = p.Tasks[Grid.IdxX / p.KvHeads];
        var item = task.Item;
        int groupHeads = p.QueryHeads / p.KvHeads;
        return new TaskContext
        {
            Item = item,
            RowBegin = task.RowBegin,
            RowCount = XMath.Min(rowsPerTask, item.QueryCount * groupHeads - task.RowBegin),
            KvHead = Grid.IdxX % p.KvHeads,
            GroupHeads = groupHeads,
        };
    }

    /// <summary>Ordered query position of task row <paramref name="row"/>, or -1 past the task's rows.</summary>
    public readonly int Position(int row) => row >= 0 && row < RowCount ? Item.QueryBegin + (RowBegin + row) / GroupHeads : -1;

    /// <summary>Query head of task row <paramref name="row"/>.</summary>
    public readonly int Head(int row) => KvHead * GroupHeads + (RowBegin + row) % GroupHeads;

    /// <summary>Element offset of task row <paramref name="row"/>'s Q vector in <c>[queries, Hq, D]</c>.</summary>
    public readonly long QOffset(AttentionParams p, int row, int dim) =>
        ((long)p.QueryOrder[Position(row)] * p.QueryHeads + Head(row)) * dim;
}
