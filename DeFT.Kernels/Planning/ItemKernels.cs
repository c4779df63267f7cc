using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The device plan's work items, thread-group tasks and partial lists, written once the host has read the totals and
/// sized the buffers: one launch (<see cref="Fill"/>). No shared memory.
/// </summary>
internal static class ItemKernels
{
    /// <summary>
    /// Grid: one thread per candidate or ordered query, whichever are more (<see cref="PlanHeader.Candidates"/>,
    /// <see cref="PlanViews.QueryCount"/>); each writes its candidate's item and tasks and its query's partial slots.
    /// </summary>
    public static void Fill(Index1D i, PlanViews v)
    {
        if (i < v.Header[PlanHeader.Candidates])
        {
            Items(i, v);
            Tasks(i, v);
        }
        if (i < v.QueryCount) PartialListKernels.Fill(i, v);
    }

    /// <summary>One candidate: a kept one writes its work item at its scanned index.</summary>
    private static void Items(int c, PlanViews v)
    {
        if (v.Kept[c] == 0) return;
        int g = v.CandidateGroup[c];
        v.Items[v.ItemIndex[c]] = new WorkItem(v.GroupBegin[g], v.GroupBegin[g + 1], v.CandidateFirst[c], v.CandidateEnd[c], v.PartialBase[c]);
    }

    /// <summary>
    /// One candidate: a kept one writes its item's tasks (a loop over its rows in steps of the chosen rows per task),
    /// item-major and row-ascending, as <see cref="DeFT.Kernels.Device.DevicePlan"/>'s upload does: on a plan that shares
    /// KV a narrow item's one task goes after every wide task.
    /// </summary>
    private static void Tasks(int c, PlanViews v)
    {
        if (v.Kept[c] == 0) return;
        if (v.PackRows == 0 && v.CandidateNarrowTasks[c] != 0)
        {
            v.Tasks[(int)v.Header[PlanHeader.Tasks] + v.NarrowTaskBase[c]] = new AttentionTask(v.ItemIndex[c], 0);
            return;
        }
        int rowsPerTask = v.PackRows != 0 ? v.PackedRowsPerTask : v.RowsPerTask;
        int at = v.PackRows != 0 ? v.PackedTaskBase[c] : v.TaskBase[c];
        int rows = v.CandidateQueries[c] * v.GroupSize;
        for (int r = 0; r < rows; r += rowsPerTask) v.Tasks[at++] = new AttentionTask(v.ItemIndex[c], r);
    }
}
