using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Builds a decode step's plan on the device, straight into a <see cref="DevicePlan"/>: the same arrays as
/// <see cref="TreePlanner"/> followed by <see cref="TreeAttention.Upload"/> (element for element) for
/// <see cref="PlanMethod.Flatten"/> and <see cref="PlanMethod.Node"/>; Adaptive and Sequence stay on the host.
/// <para>
/// Per step the host uploads only what changed in the tree (a device mirror, diffed node by node) and the queries, enqueues
/// the planning kernels — an Euler tour with list ranking for the pre-order, rank sorts for the sibling and query orders,
/// ILGPU.Algorithms' exclusive scan between the layout, split and grouping kernels — and reads back one small header of totals, which sizes the plan's buffers and the
/// attention launch. That read is the step's one wait for the device; nothing else crosses to the host.
/// </para>
/// Create one per <see cref="TreeAttention"/> (the constructor loads the kernels) and keep it for the decode loop: it keeps
/// the tree's mirror and its workspace between steps. Not thread safe.
/// </summary>
public sealed class DevicePlanner : IDisposable
{
    private readonly DeviceTree mirror;
    private readonly PlanScratch scratch;
    private readonly DeviceScan scan;
    private readonly Action<AcceleratorStream, Index1D, PlanViews> compactLive, siblingOrder, childLinks, linkEdges, positions;
    private readonly Action<AcceleratorStream, Index1D, PlanViews> queryOrder, ownRanges, keepCounts, flatTokens;
    private readonly Action<AcceleratorStream, Index1D, PlanViews> flattenGroups, nodeGroupCounts, nodeGroupBegins, groupBounds, candidates, summarize;
    private readonly Action<AcceleratorStream, Index1D, PlanViews> items, tasks, partialCounts, partialFill;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>> jump;
    private readonly long[] header = new long[PlanHeader.Length];
    private bool disposed;

    /// <summary>Loads the planning kernels for <paramref name="attention"/>'s accelerator and kernel.</summary>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    public DevicePlanner(TreeAttention attention)
    {
        ArgumentNullException.ThrowIfNull(attention);
        var a = attention.Accelerator;
        DeviceChecks.Live(a);
        Attention = attention;
        Action<AcceleratorStream, Index1D, PlanViews> Load(Action<Index1D, PlanViews> kernel) => a.LoadAutoGroupedKernel(kernel);
        (compactLive, siblingOrder, childLinks, linkEdges, positions) =
            (Load(TourKernels.CompactLive), Load(TourKernels.SiblingOrder), Load(TourKernels.ChildLinks), Load(TourKernels.LinkEdges), Load(TourKernels.Positions));
        jump = a.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>>(TourKernels.Jump);
        (queryOrder, ownRanges, keepCounts, flatTokens) =
            (Load(LayoutKernels.QueryOrder), Load(LayoutKernels.OwnRanges), Load(LayoutKernels.KeepCounts), Load(LayoutKernels.FlatTokens));
        (flattenGroups, nodeGroupCounts, nodeGroupBegins) =
            (Load(GroupingKernels.FlattenGroups), Load(GroupingKernels.NodeGroupCounts), Load(GroupingKernels.NodeGroupBegins));
        (groupBounds, candidates, summarize) = (Load(GroupingKernels.GroupBounds), Load(GroupingKernels.Candidates), Load(GroupingKernels.Summarize));
        (items, tasks, partialCounts, partialFill) =
            (Load(ItemKernels.Items), Load(ItemKernels.Tasks), Load(PartialListKernels.Counts), Load(PartialListKernels.Fill));
        mirror = new DeviceTree(a);
        scratch = new PlanScratch(a);
        scan = new DeviceScan(a);
    }

    /// <summary>The attention whose device plans this planner fills.</summary>
    public TreeAttention Attention { get; }

    /// <summary>True for the methods the device can plan: <see cref="PlanMethod.Flatten"/> and <see cref="PlanMethod.Node"/>.</summary>
    public static bool Supports(PlanMethod method) => method is PlanMethod.Flatten or PlanMethod.Node;

    /// <summary>Node records the last <see cref="Plan"/> uploaded to bring the device's tree up to date.</summary>
    public int LastNodeUploads => mirror.LastNodeUploads;

    /// <summary>Token slot ids the last <see cref="Plan"/> uploaded (the new tokens, plus any node that moved in the slot arena).</summary>
    public int LastSlotUploads => mirror.LastSlotUploads;

    /// <summary>
    /// Plans attention of <paramref name="queries"/> over <paramref name="tree"/> with <paramref name="method"/> on the
    /// device, into <paramref name="target"/>, enqueued on <paramref name="stream"/> (default: the accelerator's); returns
    /// once the plan's totals are known, with its buffers filled or being filled in stream order.
    /// </summary>
    /// <exception cref="TreeException">No query, a query on an unknown or removed node, a visible length out of range, or a query that sees no token.</exception>
    /// <exception cref="NotSupportedException"><paramref name="method"/> is not one <see cref="Supports"/> names, or the plan is too large to bound in 32-bit indices.</exception>
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
            throw new NotSupportedException($"The device planner builds Flatten and Node plans, not {method}; plan it on the host (TreePlanner) and Upload it.");
        TreeLayout.ValidateQueries(tree, queries);
        var s = stream ?? Attention.Accelerator.DefaultStream;

        target.Clear();
        mirror.Sync(tree, s);
        var v = Prepare(target, tree, queries, options, s);
        Layout(v, s);
        Group(v, method, s);
        ReadHeader(s);
        Fill(target, v, queries.Count, s);
    }

    // Sizes the workspace and the device plan's fixed-size buffers by bounds the host knows, and uploads the queries.
    private PlanViews Prepare(DevicePlan target, DecodingTree tree, IReadOnlyList<TreeQuery> queries, PlannerOptions options, AcceleratorStream s)
    {
        int nodeBound = tree.NodeIdBound, live = tree.NodeCount, q = queries.Count;
        long tokenBound = Math.Max(1, tree.TokenCount);
        long groupBound = live + (tokenBound + options.BlockTokens - 1) / options.BlockTokens + 1;
        long candidateBound = groupBound * ((q + (long)options.MaxQueriesPerItem - 1) / options.MaxQueriesPerItem);
        if (tokenBound > int.MaxValue - 1 || candidateBound > int.MaxValue - 1 || 2L * nodeBound > int.MaxValue)
            throw new NotSupportedException($"The tree ({tree.TokenCount} tokens, {nodeBound} node ids) and {q} queries need more than 32-bit " +
                $"indices to bound the device plan ({candidateBound} candidate items); plan it on the host.");
        scratch.Reserve(nodeBound, live, q, (int)groupBound, (int)candidateBound);
        scan.Reserve((int)Math.Max(Math.Max(nodeBound, q), candidateBound) + 1);
        target.TokenSlots.EnsureLength(tokenBound);
        target.TokenVisibility.EnsureLength(tokenBound);
        target.QueryOrder.EnsureLength(q);
        target.PartialOffsets.EnsureLength(q + 1);
        scratch.Queries.Upload(s, queries is TreeQuery[] array ? array : queries.ToArray());

        var heads = Attention.Heads;
        var v = scratch.Views();
        v.Tree = mirror.Views;
        v.QueryOrder = target.QueryOrder.View;
        v.TokenSlots = target.TokenSlots.View;
        v.TokenVisibility = target.TokenVisibility.View;
        v.PartialOffsets = target.PartialOffsets.View;
        v.NodeBound = nodeBound;
        v.LiveNodes = live;
        v.QueryCount = q;
        v.GroupBound = (int)groupBound;
        v.CandidateBound = (int)candidateBound;
        v.BlockTokens = options.BlockTokens;
        v.MaxQueries = options.MaxQueriesPerItem;
        v.GroupSize = heads.GroupSize;
        v.RowsPerTask = TreeAttention.RowsPerTask(Attention.UploadKernel, false);
        v.PackedRowsPerTask = TreeAttention.RowsPerTask(Attention.UploadKernel, true);
        v.Header.MemSetToZero(s);
        v.FirstChild.MemSet(s, 0xFF); // every int -1: no child
        return v;
    }

    // Pre-order, subtree sizes, query order, per-node query ranges and kept tokens, the flat tokens and their masks.
    private void Layout(PlanViews v, AcceleratorStream s)
    {
        scan.Exclusive(s, v.Tree.Live.SubView(0, v.NodeBound), v.LiveIndex);
        compactLive(s, v.NodeBound, v);
        siblingOrder(s, v.LiveNodes, v);
        childLinks(s, v.LiveNodes, v);
        linkEdges(s, v.NodeBound, v);
        int rounds = 0;
        while ((1L << rounds) < 2L * v.LiveNodes) rounds++;
        for (int r = 0; r < rounds; r++)
        {
            int from = r % 2;
            jump(s, 2 * v.NodeBound, scratch.TourNext[from].View, scratch.TourRank[from].View,
                scratch.TourNext[1 - from].View, scratch.TourRank[1 - from].View);
        }
        v.TourRank = scratch.TourRank[rounds % 2].View;
        positions(s, v.NodeBound, v);
        queryOrder(s, v.QueryCount, v);
        ownRanges(s, v.LiveNodes + 1, v);
        keepCounts(s, v.LiveNodes + 1, v);
        scan.Exclusive(s, v.Keep, v.FlatBegin);
        flatTokens(s, (int)v.TokenSlots.Length, v);
    }

    // The split into groups, their candidate items, trimming and numbering, and the partial-slot counts per query.
    private void Group(PlanViews v, PlanMethod method, AcceleratorStream s)
    {
        if (method == PlanMethod.Flatten)
        {
            flattenGroups(s, v.GroupBound + 1, v);
        }
        else
        {
            nodeGroupCounts(s, v.LiveNodes + 1, v);
            scan.Exclusive(s, v.NodeGroups, v.NodeGroupBase);
            nodeGroupBegins(s, v.LiveNodes + 1, v);
        }
        groupBounds(s, v.GroupBound + 1, v);
        scan.Exclusive(s, v.GroupChunks, v.ChunkBase);
        candidates(s, v.CandidateBound + 1, v);
        scan.Exclusive(s, v.Kept, v.ItemIndex);
        scan.Exclusive(s, v.CandidateQueries, v.PartialBase);
        scan.Exclusive(s, v.CandidateTasks, v.TaskBase);
        scan.Exclusive(s, v.CandidatePackedTasks, v.PackedTaskBase);
        partialCounts(s, v.QueryCount + 1, v);
        scan.Exclusive(s, v.PartialCounts, v.PartialOffsets);
        summarize(s, 1, v);
    }

    // The step's one wait: the totals that size the rest.
    private void ReadHeader(AcceleratorStream s)
    {
        scratch.Header.View.AsDense().CopyToCPU(s, header);
        s.Synchronize();
    }

    // Sizes the device plan's variable buffers exactly, writes items, tasks and partial lists, and marks the plan held.
    private void Fill(DevicePlan target, PlanViews v, int queryCount, AcceleratorStream s)
    {
        var heads = Attention.Heads;
        bool packRows = TreeAttention.IsStreamingTotals(header[PlanHeader.ItemTokens], header[PlanHeader.ItemPairs]);
        int taskCount = (int)header[packRows ? PlanHeader.PackedTasks : PlanHeader.Tasks];
        long partials = header[PlanHeader.Partials];
        target.TokenSlots.EnsureLength(header[PlanHeader.FlatTokens]);
        target.TokenVisibility.EnsureLength(header[PlanHeader.FlatTokens]);
        target.Items.EnsureLength(header[PlanHeader.Items]);
        target.Tasks.EnsureLength(taskCount);
        target.PartialSlots.EnsureLength(header[PlanHeader.PartialListLength]);
        target.PartialOutput.EnsureLength(partials * heads.QueryHeads * heads.HeadDim);
        target.PartialLse.EnsureLength(partials * heads.QueryHeads);
        v.Items = target.Items.View;
        v.Tasks = target.Tasks.View;
        v.PartialSlots = target.PartialSlots.View;
        v.PackRows = packRows ? 1 : 0;
        items(s, v.CandidateBound, v);
        tasks(s, v.CandidateBound, v);
        partialFill(s, v.QueryCount, v);
        target.Hold(null, queryCount, (int)header[PlanHeader.MaxSlot], taskCount, Attention.UploadKernel, packRows);
    }

    /// <summary>Frees the device tree and the workspace. Disposing twice is harmless.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        mirror.Dispose();
        scratch.Dispose();
        scan.Dispose();
    }
}
