using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// An <see cref="AttentionPlan"/> on the device, with the partial-result workspace it needs. Upload once
/// per decode step with <see cref="TreeAttention.Upload"/>; every layer's <c>TreeAttention.Run</c>
/// reuses it. Buffers grow to the largest plan seen (with a quarter of headroom) and are reused after that, so a
/// steady decode loop allocates nothing. They never shrink by themselves: shrinking on upload would reallocate, and
/// wait for the device, in the middle of a decode loop whose plans swing in size. The caller decides instead:
/// <see cref="AllocatedBytes"/> against <see cref="UsedBytes"/> shows what is held, and <see cref="Trim"/> gives the
/// excess back, e.g. <c>if (plan.AllocatedBytes &gt; 4 * plan.UsedBytes) plan.Trim();</c> after a step whose tree was
/// much larger than those that follow.
/// </summary>
public sealed class DevicePlan : IDisposable
{
    internal readonly DeviceBuffer<int> TokenSlots;
    internal readonly DeviceBuffer<QueryRange> TokenVisibility;
    internal readonly DeviceBuffer<AttentionTask> Tasks;
    internal readonly DeviceBuffer<int> QueryOrder;
    internal readonly DeviceBuffer<int> PartialOffsets;
    internal readonly DeviceBuffer<int> PartialSlots;
    internal readonly DeviceBuffer<float> PartialOutput;
    internal readonly DeviceBuffer<float> PartialLse;
    private readonly IDeviceBuffer[] buffers;
    private readonly List<AttentionTask> taskScratch = new(), narrowScratch = new();

    internal DevicePlan(TreeAttention owner)
    {
        Owner = owner;
        var a = owner.Accelerator;
        TokenSlots = new(a, "The device plan's token slots");
        TokenVisibility = new(a, "The device plan's token visibility");
        Tasks = new(a, "The device plan's tasks");
        QueryOrder = new(a, "The device plan's query order");
        PartialOffsets = new(a, "The device plan's partial offsets");
        PartialSlots = new(a, "The device plan's partial slots");
        PartialOutput = new(a, "The device plan's partial outputs");
        PartialLse = new(a, "The device plan's partial LSEs");
        buffers = [TokenSlots, TokenVisibility, Tasks, QueryOrder, PartialOffsets, PartialSlots, PartialOutput, PartialLse];
    }

    internal TreeAttention Owner { get; }

    /// <summary>The host plan last uploaded, or null before the first upload and when the plan was built on the device (<see cref="Planning.DevicePlanner"/>).</summary>
    public AttentionPlan? Plan { get; private set; }

    /// <summary>True when the buffers hold a plan, uploaded or built on the device, that <c>TreeAttention.Run</c> can run.</summary>
    public bool HasPlan { get; private set; }

    /// <summary>Queries of the plan held (rows of q and the output).</summary>
    internal int QueryCount { get; private set; }

    /// <summary>Largest KV-cache slot the plan held reads.</summary>
    internal int MaxSlot { get; private set; }

    /// <summary>Number of thread-group tasks per KV head in the partial-attention launches.</summary>
    public int TaskCount { get; private set; }

    /// <summary>
    /// The first tasks, cut at the plan's rows per task and run by its kernel shape; the rest (tensor cores on a plan that
    /// shares KV) are narrow tasks, one per item of at most <see cref="TreeAttention.NarrowRows"/> rows, run by the
    /// one-warp streaming shape in a second launch.
    /// </summary>
    internal int WideTaskCount { get; private set; }

    /// <summary>
    /// True for a streaming plan (<see cref="TreeAttention.IsStreaming"/>: each KV token serves about one query): the
    /// tensor-core kernel runs its one-warp shape (16 rows per task, six groups per SM) and the CUDA-core kernel packs a
    /// task's rows into as few warps as possible; plans that share KV run four warps per task.
    /// </summary>
    public bool PackRows { get; private set; }

    /// <summary>
    /// True when some query has more than one partial, so the merge kernel has work; false when every query's path lies
    /// in one work item (no sharing, or blocks as long as the paths): every row is then final in the partial kernel and
    /// <c>Run</c> skips the merge launch.
    /// </summary>
    internal bool Merges { get; private set; }

    /// <summary>The concrete partial-attention kernel this upload was cut for.</summary>
    public AttentionKernel Kernel { get; private set; }

    /// <summary>True once <see cref="Dispose"/> has freed the device buffers; uploading into it or running it then throws.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Device memory the plan's buffers hold now, in bytes: what the largest plan since the last <see cref="Trim"/> needed, plus headroom.</summary>
    public long AllocatedBytes => buffers.Sum(b => b.AllocatedBytes);

    /// <summary>Device memory the current <see cref="Plan"/> and its workspace occupy, in bytes (0 when there is none).</summary>
    public long UsedBytes => HasPlan ? buffers.Sum(b => b.UsedBytes) : 0;

    /// <summary>
    /// Gives back the device memory the current plan does not need: every buffer holding more than the current plan plus the
    /// quarter of headroom a grow adds is reallocated at that size and the plan uploaded into it again, on the default
    /// stream; with no host plan (never uploaded, a failed upload, or a plan built on the device, which must then be planned
    /// again) every buffer is freed. First waits for all work on the
    /// accelerator, as kernels enqueued earlier may still read the old buffers. The next larger upload grows them again.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device plan or its accelerator has been disposed.</exception>
    public void Trim()
    {
        ThrowIfDisposed();
        var accelerator = Owner.Accelerator;
        DeviceChecks.Live(accelerator);
        accelerator.Synchronize();
        if (Plan is not { } plan)
        {
            HasPlan = false;
            foreach (var b in buffers) b.Release();
            return;
        }
        Plan = null;
        HasPlan = false; // until the buffers hold it again: a failed reallocation leaves no plan to run over freed memory
        bool reallocated = false;
        foreach (var b in buffers) reallocated |= b.Trim();
        if (reallocated) Upload(plan, Kernel, PackRows, accelerator.DefaultStream);
        else Hold(plan, plan.QueryCount, plan.MaxSlot, TaskCount, WideTaskCount, Kernel, PackRows, Merges);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    internal void Upload(AttentionPlan plan, AttentionKernel kernel, bool packRows, AcceleratorStream stream)
    {
        // Until every buffer holds the new plan the device plan is empty: a failed upload (out of memory) leaves nothing half-run.
        Clear();
        var heads = Owner.Heads;
        int rowsPerTask = TreeAttention.RowsPerTask(kernel, packRows);
        int narrowRows = TreeAttention.NarrowRows(kernel, packRows);
        taskScratch.Clear();
        narrowScratch.Clear();
        var items = plan.Items;
        long itemTokens = 0, narrowTokens = 0;
        foreach (var item in items)
        {
            itemTokens += item.TokenCount;
            if (item.QueryCount * heads.GroupSize <= narrowRows) narrowTokens += item.TokenCount;
        }
        if (!NarrowTasks.Split(narrowTokens, itemTokens, heads.KvHeads, Owner.NarrowMinTokenHeads)) narrowRows = 0;
        for (int i = 0; i < items.Length; i++)
        {
            int rows = items[i].QueryCount * heads.GroupSize;
            if (rows <= narrowRows) narrowScratch.Add(new AttentionTask(items[i], 0));
            else for (int r = 0; r < rows; r += rowsPerTask) taskScratch.Add(new AttentionTask(items[i], r));
        }
        int wideTasks = taskScratch.Count;
        taskScratch.AddRange(narrowScratch);
        TokenSlots.Upload(stream, plan.TokenSlots);
        TokenVisibility.Upload(stream, plan.TokenVisibility);
        Tasks.Upload(stream, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(taskScratch));
        QueryOrder.Upload(stream, plan.QueryOrder);
        PartialOffsets.Upload(stream, plan.PartialOffsets);
        PartialSlots.Upload(stream, plan.PartialSlots);
        PartialOutput.EnsureLength((long)plan.PartialCount * heads.QueryHeads * heads.HeadDim);
        PartialLse.EnsureLength((long)plan.PartialCount * heads.QueryHeads);
        Hold(plan, plan.QueryCount, plan.MaxSlot, taskScratch.Count, wideTasks, kernel, packRows, plan.PartialSlots.Length > plan.QueryCount);
    }

    /// <summary>Marks the device plan empty while its buffers are being (re)filled.</summary>
    internal void Clear()
    {
        Plan = null;
        HasPlan = false;
    }

    /// <summary>Marks the buffers as holding a plan (<paramref name="plan"/> null when it was built on the device).</summary>
    internal void Hold(AttentionPlan? plan, int queryCount, int maxSlot, int taskCount, int wideTaskCount, AttentionKernel kernel, bool packRows,
        bool merges)
    {
        Merges = merges;
        Plan = plan;
        QueryCount = queryCount;
        MaxSlot = maxSlot;
        TaskCount = taskCount;
        WideTaskCount = wideTaskCount;
        Kernel = kernel;
        PackRows = packRows;
        HasPlan = true;
    }

    /// <summary>Frees the device buffers. Disposing twice is harmless.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        Clear();
        foreach (var b in buffers) b.Dispose();
    }
}
