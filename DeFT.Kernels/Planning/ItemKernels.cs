using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The device plan's thread-group tasks (each carrying a copy of its work item) and partial lists, written once the host
/// has read the totals and sized the buffers: one launch (<see cref="Fill"/>). No shared memory.
/// </summary>
internal static class ItemKernels
{
    /// <summary>
    /// Grid: one thread per candidate or ordered query, whichever are more (<see cref="PlanHeader.Candidates"/>,
    /// <see cref="PlanViews.QueryCount"/>); each writes its candidate's tasks and its query's partial slots.
    /// </summary>
    public static void Fill(Index1D i, PlanViews v)
    {
        if (i < v.Header[PlanHeader.Candidates] && v.Kept[i] != 0)
        {
            // A kept candidate is a work item: its tasks carry it.
            int g = v.CandidateGroup[i];
            Tasks(i, new WorkItem(v.GroupBegin[g], v.GroupBegin[g + 1], v.CandidateFirst[i], v.CandidateEnd[i], v.PartialBase[i]), v);
        }
        if (i < v.QueryCount) PartialListKernels.Fill(i, v);
    }

    /// <summary>
    /// One kept candidate's tasks (a loop over its rows in steps of the chosen rows per task), item-major and
    /// row-ascending, as <see cref="DeFT.Kernels.Device.DevicePlan"/>'s upload does: on a plan that shares KV a narrow
    /// item's one task goes after every wide task.
    /// </summary>
    private static void Tasks(int c, WorkItem item, PlanViews v)
    {
        if (v.PackRows == 0 && v.CandidateNarrowTasks[c] != 0)
        {
            v.Tasks[(int)v.Header[PlanHeader.Tasks] + v.NarrowTaskBase[c]] = new AttentionTask(item, 0);
            return;
        }
        int rowsPerTask = v.PackRows != 0 ? v.PackedRowsPerTask : v.RowsPerTask;
        int at = v.PackRows != 0 ? v.PackedTaskBase[c] : v.TaskBase[c];
        int rows = v.CandidateQueries[c] * v.GroupSize;
        for (int r = 0; r < rows; r += rowsPerTask) v.Tasks[at++] = new AttentionTask(item, r);
    }
}
