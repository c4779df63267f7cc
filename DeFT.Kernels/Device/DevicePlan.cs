using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU.Runtime;

namespace DeFT.Kernels.Device;

/// <summary>
/// An <see cref="AttentionPlan"/> on the device, with the partial-result workspace it needs. Upload once
/// per decode step with <see cref="TreeAttention.Upload"/>; every layer's <see cref="TreeAttention.Run"/>
/// reuses it. Buffers grow to the largest plan seen and are reused after that, so a steady decode loop
/// allocates nothing.
/// </summary>
public sealed class DevicePlan : IDisposable
{
    internal readonly DeviceBuffer<int> TokenSlots;
    internal readonly DeviceBuffer<QueryRange> TokenVisibility;
    internal readonly DeviceBuffer<WorkItem> Items;
    internal readonly DeviceBuffer<AttentionTask> Tasks;
    internal readonly DeviceBuffer<int> QueryOrder;
    internal readonly DeviceBuffer<int> PartialOffsets;
    internal readonly DeviceBuffer<int> PartialSlots;
    internal readonly DeviceBuffer<float> PartialOutput;
    internal readonly DeviceBuffer<float> PartialLse;
    private readonly List<AttentionTask> taskScratch = new();

    internal DevicePlan(TreeAttention owner)
    {
        Owner = owner;
        var a = owner.Accelerator;
        TokenSlots = new(a, "The device plan's token slots");
        TokenVisibility = new(a, "The device plan's token visibility");
        Items = new(a, "The device plan's work items");
        Tasks = new(a, "The device plan's tasks");
        QueryOrder = new(a, "The device plan's query order");
        PartialOffsets = new(a, "The device plan's partial offsets");
        PartialSlots = new(a, "The device plan's partial slots");
        PartialOutput = new(a, "The device plan's partial outputs");
        PartialLse = new(a, "The device plan's partial LSEs");
    }

    internal TreeAttention Owner { get; }

    /// <summary>The host plan last uploaded, or null before the first upload.</summary>
    public AttentionPlan? Plan { get; private set; }

    /// <summary>Number of thread-group tasks per KV head in the partial-attention launch.</summary>
    public int TaskCount { get; private set; }

    /// <summary>
    /// True when the CUDA-core kernel packs a task's rows into as few warps as possible: chosen for plans where each
    /// KV token serves about one query (few rows per task, memory-bound), where it issued 23–28 % less time on an
    /// H200 than spreading one row per warp; plans that share KV keep their rows spread over the warps.
    /// </summary>
    public bool PackRows { get; private set; }

    /// <summary>The concrete partial-attention kernel this upload was cut for.</summary>
    public AttentionKernel Kernel { get; private set; }

    /// <summary>True once <see cref="Dispose"/> has freed the device buffers; uploading into it or running it then throws.</summary>
    public bool IsDisposed { get; private set; }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    internal void Upload(AttentionPlan plan, AttentionKernel kernel, bool packRows, AcceleratorStream stream)
    {
        // Until every buffer holds the new plan the device plan is empty: a failed upload (out of memory) leaves nothing half-run.
        Plan = null;
        var heads = Owner.Heads;
        int rowsPerTask = TreeAttention.RowsPerTask(kernel);
        taskScratch.Clear();
        var items = plan.Items;
        for (int i = 0; i < items.Length; i++)
        {
            int rows = items[i].QueryCount * heads.GroupSize;
            for (int r = 0; r < rows; r += rowsPerTask) taskScratch.Add(new AttentionTask(i, r));
        }
        TokenSlots.Upload(stream, plan.TokenSlots);
        TokenVisibility.Upload(stream, plan.TokenVisibility);
        Items.Upload(stream, plan.Items);
        Tasks.Upload(stream, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(taskScratch));
        QueryOrder.Upload(stream, plan.QueryOrder);
        PartialOffsets.Upload(stream, plan.PartialOffsets);
        PartialSlots.Upload(stream, plan.PartialSlots);
        PartialOutput.EnsureLength((long)plan.PartialCount * heads.QueryHeads * heads.HeadDim);
        PartialLse.EnsureLength((long)plan.PartialCount * heads.QueryHeads);
        TaskCount = taskScratch.Count;
        Plan = plan;
        Kernel = kernel;
        PackRows = packRows;
    }

    /// <summary>Frees the device buffers. Disposing twice is harmless.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        Plan = null;
        TokenSlots.Dispose();
        TokenVisibility.Dispose();
        Items.Dispose();
        Tasks.Dispose();
        QueryOrder.Dispose();
        PartialOffsets.Dispose();
        PartialSlots.Dispose();
        PartialOutput.Dispose();
        PartialLse.Dispose();
    }
}
