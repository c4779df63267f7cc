using System.Diagnostics;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Builds a decode step's plan on the device, straight into a <see cref="DevicePlan"/>: the same arrays as
/// <see cref="TreePlanner"/> followed by <see cref="TreeAttention.Upload"/> (element for element) for
/// <see cref="PlanMethod.Flatten"/>, <see cref="PlanMethod.Node"/> and <see cref="PlanMethod.Adaptive"/> without a
/// <see cref="PlannerOptions.Target"/>; Adaptive with a target and Sequence stay on the host.
/// <para>
/// Per step the host uploads only what changed in the tree (a device mirror that diffs the nodes the tree stamped, one
/// scatter launch; removed nodes' rows reused) and the queries, both from page-locked memory without waiting, then
/// launches three kernels: <see cref="PlanKernel"/> (the whole layout, split and grouping in one group: an Euler tour
/// with list ranking for the pre-order, a counting sort for the query order, group scans between the phases),
/// <see cref="LayoutKernels.FlatTokens"/> (threads striding over the tokens), and, after reading back one small header
/// of totals that sizes the plan's buffers and the attention launches, <see cref="ItemKernels.Fill"/>. That read is the
/// step's one wait for the device; nothing else crosses to the host.
/// </para>
/// Create one per <see cref="TreeAttention"/> (the constructor loads the kernels) and keep it for the decode loop: it keeps
/// the tree's mirror and its workspace between steps. Not thread safe.
/// </summary>
public sealed class DevicePlanner : IDisposable
{
    /// <summary>The plan kernel's group on CUDA (launch bounds cap its registers so that it fits).</summary>
    private const int CudaGroupSize = 1024;

    /// <summary>The flat-token kernel's group on CUDA.</summary>
    private const int FlatTokensCudaGroupSize = 256;

    /// <summary>
    /// The plan kernel's group on the CPU accelerator, which runs each thread of a group on an OS thread and makes
    /// barriers expensive; ILGPU.Algorithms' group scan there takes at most 64.
    /// </summary>
    internal const int CpuGroupSize = 32;

    private readonly DeviceTree mirror;
    private readonly PlanScratch scratch;
    private readonly int groupSize;
    private readonly Action<AcceleratorStream, KernelConfig, PlanViews> plan, flatTokens;
    private readonly Action<AcceleratorStream, Index1D, PlanViews> fill;
    // The totals read back each step, and the queries' host side: page-locked, so neither copy stages through pageable memory
    // and the query upload does not wait; the header read synchronizes the stream before the next plan reuses either.
    private readonly PageLockedArray1D<long> header;
    private readonly PinnedStaging<TreeQuery> queryHost;
    // The step's queries with their nodes' device rows, the array reused.
    private TreeQuery[] rowQueries = Array.Empty<TreeQuery>();
    private bool uploadsInFlight;
    private bool disposed;

    /// <summary>Loads the planning kernels for <paramref name="attention"/>'s accelerator and kernel.</summary>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    public DevicePlanner(TreeAttention attention)
        : this(attention, attention?.Accelerator is CudaAccelerator ? CudaGroupSize : CpuGroupSize)
    {
    }

    /// <summary>A planner whose plan kernel runs in a group of <paramref name="groupSize"/> threads (tests try several).</summary>
    internal DevicePlanner(TreeAttention attention, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(attention);
        var a = attention.Accelerator;
        DeviceChecks.Live(a);
        Attention = attention;
        this.groupSize = groupSize;
        Action<PlanViews> kernel = PlanKernel.Plan;
        plan = a is CudaAccelerator cuda
            ? LaunchBounds.Load(cuda, kernel.Method, groupSize, 1).CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, PlanViews>>()
            : a.LoadKernel(kernel);
        flatTokens = a.LoadKernel<PlanViews>(LayoutKernels.FlatTokens);
        fill = a.LoadAutoGroupedKernel<Index1D, PlanViews>(ItemKernels.Fill);
        mirror = new DeviceTree(a);
        scratch = new PlanScratch(a);
        header = a.AllocatePageLocked1D<long>(PlanHeader.Length, uninitialized: false);
        queryHost = new PinnedStaging<TreeQuery>(a);
    }

    /// <summary>The attention whose device plans this planner fills.</summary>
    public TreeAttention Attention { get; }

    /// <summary>
    /// True for the methods the device can plan: <see cref="PlanMethod.Flatten"/>, <see cref="PlanMethod.Node"/> and
    /// <see cref="PlanMethod.Adaptive"/> (without a <see cref="PlannerOptions.Target"/>: see <see cref="Supports(PlanMethod, PlannerOptions)"/>).
    /// </summary>
    public static bool Supports(PlanMethod method) => method is PlanMethod.Flatten or PlanMethod.Node or PlanMethod.Adaptive;

    /// <summary>
    /// True when the device can plan <paramref name="method"/> with <paramref name="options"/> (default: the defaults):
    /// a method <see cref="Supports(PlanMethod)"/> names, and no <see cref="PlannerOptions.Target"/> for Adaptive (whose
    /// chunk-length search by the plan time model runs on the host).
    /// </summary>
    public static bool Supports(PlanMethod method, PlannerOptions? options) =>
        Supports(method) && !(method == PlanMethod.Adaptive && options?.Target is not null);

    /// <summary>Node records the last <see cref="Plan"/> uploaded to bring the device's tree up to date.</summary>
    public int LastNodeUploads => mirror.LastNodeUploads;

    /// <summary>Device rows of the tree's mirror in use: the most nodes live at once (removed nodes' rows are reused).</summary>
    internal int NodeRows => mirror.RowBound;

    /// <summary>Where the host's time in the last <see cref="Plan"/> went (the decode bench reports it).</summary>
    internal DevicePlanPhases LastPhases { get; private set; }

    /// <summary>Times the tree's mirror ran out of rows or arena and uploaded the tree again whole.</summary>
    internal int MirrorRestarts => mirror.Restarts;

    /// <summary>Token slot ids the last <see cref="Plan"/> uploaded (the new tokens, plus any node that moved in the slot arena).</summary>
    public int LastSlotUploads => mirror.LastSlotUploads;

    /// <summary>
    /// Plans attention of <paramref name="queries"/> over <paramref name="tree"/> with <paramref name="method"/> on the
    /// device, into <paramref name="target"/>, enqueued on <paramref name="stream"/> (default: the accelerator's); returns
    /// once the plan's totals are known, with its buffers filled or being filled in stream order.
    /// </summary>
    /// <exception cref="TreeException">No query, a query on an unknown or removed node, a visible length out of range, or a query that sees no token.</exception>
    /// <exception cref="NotSupportedException"><paramref name="method"/> with <paramref name="options"/> is not what
    /// <see cref="Supports(PlanMethod, PlannerOptions)"/> accepts (Sequence; Adaptive with a target), or the plan is too large to bound in 32-bit indices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Bad <paramref name="options"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="target"/> belongs to another <see cref="TreeAttention"/>, or the stream to another accelerator.</exception>
    /// <exception cref="ObjectDisposedException">The planner, the accelerator, the device plan or the stream has been disposed.</exception>
    public void Plan(DevicePlan target, DecodingTree tree, IReadOnlyList<TreeQuery> queries, PlanMethod method = PlanMethod.Flatten,
        PlannerOptions? options = null, AcceleratorStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(queries);
        ObjectDisposedException.ThrowIf(disposed, this);
        DeviceChecks.Live(Attention.Accelerator);
        target.ThrowIfDisposed();
        if (!ReferenceEquals(target.Owner, Attention))
            throw new ArgumentException("The device plan belongs to another TreeAttention instance than the planner's.", nameof(target));
        if (stream is not null) DeviceChecks.Stream(stream, Attention.Accelerator, nameof(stream));
        options ??= PlannerOptions.Default;
        options.Validate();
        if (!Supports(method))
            throw new NotSupportedException($"The device planner builds Flatten, Node and Adaptive plans, not {method}; plan it on the host (TreePlanner) and Upload it.");
        if (!Supports(method, options))
            throw new NotSupportedException("The device planner builds Adaptive plans without a PlannerOptions.Target only: the chunk-length search " +
                "for a target runs on the host; plan it there (TreePlanner) and Upload it, or leave Target unset.");
        TreeLayout.ValidateQueries(tree, queries);
        var s = stream ?? Attention.Accelerator.DefaultStream;

        // The page-locked staging is reused below; a plan that threw between its uploads and its header read (an
        // oversized plan, a device error) left copies from it in flight.
        if (uploadsInFlight) Attention.Accelerator.Synchronize();
        target.Clear();
        uploadsInFlight = true;
        long start = Stopwatch.GetTimestamp();
        mirror.Sync(tree, s);
        long synced = Stopwatch.GetTimestamp();
        var v = Prepare(target, tree, queries, method, options, s);
        plan(s, new KernelConfig(1, groupSize), v);
        flatTokens(s, FlatTokensConfig(v.TokenSlots.Length), v);
        scratch.Header.View.SubView(0, PlanHeader.Length).CopyTo(s, header.ArrayView);
        long launched = Stopwatch.GetTimestamp();
        s.Synchronize();
        uploadsInFlight = false;
        LastPhases = new DevicePlanPhases(Seconds(start, synced), Seconds(launched, Stopwatch.GetTimestamp()));
        Fill(target, v, queries.Count, s);
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    // Enough groups to cover the tokens the tree bounds, at most a few per multiprocessor (the threads stride over the rest).
    private KernelConfig FlatTokensConfig(long tokenBound)
    {
        var a = Attention.Accelerator;
        int group = a is CudaAccelerator ? FlatTokensCudaGroupSize : a.WarpSize;
        return new KernelConfig((int)Math.Min((tokenBound + group - 1) / group, 8L * a.NumMultiprocessors), group);
    }

    // Sizes the workspace and the device plan's fixed-size buffers by bounds the host knows, and uploads the queries.
    private PlanViews Prepare(DevicePlan target, DecodingTree tree, IReadOnlyList<TreeQuery> queries, PlanMethod method,
        PlannerOptions options, AcceleratorStream s)
    {
        int nodeBound = mirror.RowBound, live = tree.NodeCount, q = queries.Count;
        long tokenBound = Math.Max(1, tree.TokenCount);
        long groupBound = live + (tokenBound + options.BlockTokens - 1) / options.BlockTokens + 1;
        long candidateBound = groupBound * ((q + (long)options.MaxQueriesPerItem - 1) / options.MaxQueriesPerItem);
        if (tokenBound > int.MaxValue - 1 || candidateBound > int.MaxValue - 1 || 4L * nodeBound > int.MaxValue)
            throw new NotSupportedException($"The tree ({tree.TokenCount} tokens, {nodeBound} node rows) and {q} queries need more than 32-bit " +
                $"indices to bound the device plan ({candidateBound} candidate items); plan it on the host.");
        scratch.Reserve(nodeBound, live, q, (int)groupBound, (int)candidateBound);
        target.TokenSlots.EnsureLength(tokenBound);
        target.TokenVisibility.EnsureLength(tokenBound);
        target.QueryOrder.EnsureLength(q);
        target.PartialOffsets.EnsureLength(q + 1);
        if (rowQueries.Length < q) rowQueries = new TreeQuery[q];
        for (int i = 0; i < q; i++) rowQueries[i] = queries[i] with { Node = mirror.RowOf(queries[i].Node) };
        queryHost.Upload(s, rowQueries.AsSpan(0, q), scratch.Queries);

        var v = scratch.Views();
        v.Tree = mirror.Views;
        v.QueryOrder = target.QueryOrder.View;
        v.TokenSlots = target.TokenSlots.View;
        v.TokenVisibility = target.TokenVisibility.View;
        v.PartialOffsets = target.PartialOffsets.View;
        v.NodeBound = nodeBound;
        v.LiveNodes = live;
        v.QueryCount = q;
        v.Method = (int)method;
        v.BlockTokens = options.BlockTokens;
        v.MaxQueries = options.MaxQueriesPerItem;
        v.KvBytesPerToken = options.CostModel.KvBytesPerToken;
        v.PartialBytesPerQuery = options.CostModel.PartialBytesPerQuery;
        v.BytesPerPair = options.CostModel.BytesPerPair;
        v.QueriesPerTile = options.CostModel.QueriesPerTile;
        v.GroupSize = Attention.Heads.GroupSize;
        v.KvHeads = Attention.Heads.KvHeads;
        v.NarrowMinTokenHeads = Attention.NarrowMinTokenHeads;
        v.RowsPerTask = TreeAttention.RowsPerTask(Attention.UploadKernel, false);
        v.PackedRowsPerTask = TreeAttention.RowsPerTask(Attention.UploadKernel, true);
        v.NarrowRows = TreeAttention.NarrowRows(Attention.UploadKernel, streaming: false);
        return v;
    }

    // Sizes the device plan's variable buffers exactly, writes tasks (each with its work item) and partial lists, and marks the plan held.
    private void Fill(DevicePlan target, PlanViews v, int queryCount, AcceleratorStream s)
    {
        var heads = Attention.Heads;
        bool packRows = TreeAttention.IsStreamingTotals(header[PlanHeader.ItemTokens], header[PlanHeader.ItemPairs]);
        int wideTasks = (int)header[packRows ? PlanHeader.PackedTasks : PlanHeader.Tasks];
        int taskCount = wideTasks + (packRows ? 0 : (int)header[PlanHeader.NarrowTasks]);
        long partials = header[PlanHeader.Partials];
        target.TokenSlots.EnsureLength(header[PlanHeader.FlatTokens]);
        target.TokenVisibility.EnsureLength(header[PlanHeader.FlatTokens]);
        target.Tasks.EnsureLength(taskCount);
        target.PartialSlots.EnsureLength(header[PlanHeader.PartialListLength]);
        target.PartialOutput.EnsureLength(partials * heads.QueryHeads * heads.HeadDim);
        target.PartialLse.EnsureLength(partials * heads.QueryHeads);
        v.Tasks = target.Tasks.View;
        v.PartialSlots = target.PartialSlots.View;
        v.PackRows = packRows ? 1 : 0;
        fill(s, (int)Math.Max(header[PlanHeader.Candidates], queryCount), v);
        // Every query has at least one partial, so a longer partial list means some query merges.
        target.Hold(null, queryCount, (int)header[PlanHeader.MaxSlot], taskCount, wideTasks, Attention.UploadKernel, packRows,
            header[PlanHeader.PartialListLength] > queryCount);
    }

    /// <summary>Frees the device tree and the workspace. Disposing twice is harmless.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        mirror.Dispose();
        scratch.Dispose();
        header.Dispose();
        queryHost.Dispose();
    }
}
