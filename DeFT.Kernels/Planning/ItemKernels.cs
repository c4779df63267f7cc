using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The device plan's work items and thread-group tasks, written from the kept candidates once the host has sized the
/// buffers. No shared memory.
/// </summary>
internal static class ItemKernels
{
    /// <summary>Grid: one thread per possible candidate; each kept one writes its work item at its scanned index.</summary>
    public static void Items(Index1D c, PlanViews v)
    {
        if (v.Kept[c] == 0) return;
        int g = v.CandidateGroup[c];
        v.Items[v.ItemIndex[c]] = new WorkItem(v.GroupBegin[g], v.GroupBegin[g + 1], v.CandidateFirst[c], v.CandidateEnd[c], v.PartialBase[c]);
    }

    /// <summary>
    /// Grid: one thread per possible candidate; each kept one writes its item's tasks (a loop over its rows in steps of
    /// the chosen rows per task), item-major and row-ascending, as <see cref="DeFT.Kernels.Device.DevicePlan"/>'s upload does.
    /// </summary>
    public static void Tasks(Index1D c, PlanViews v)
    {
        if (v.Kept[c] == 0) return;
        int rowsPerTask = v.PackRows != 0 ? v.PackedRowsPerTask : v.RowsPerTask;
        int at = v.PackRows != 0 ? v.PackedTaskBase[c] : v.TaskBase[c];
        int rows = v.CandidateQueries[c] * v.GroupSize;
        for (int r = 0; r < rows; r += rowsPerTask) v.Tasks[at++] = new AttentionTask(v.ItemIndex[c], r);
    }
}
