using System.Numerics;
using System.Runtime.InteropServices;
using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// A device mirror of one <see cref="DecodingTree"/> (<see cref="DeviceTreeViews"/>), brought up to date by
/// <see cref="Sync"/> with small uploads (one scatter launch): the records of new and changed nodes and the slot ids of
/// new tokens. It keeps a host shadow of what the device holds and diffs against it the nodes the tree stamped since the
/// version it last saw (<see cref="DecodingTree.ChangedAt"/>), and their children, whose sibling links may have moved —
/// every edit (append, fork, prune, token trees, accept) stamps what it touches. An unchanged tree costs nothing; a
/// changed one a check of each live id and a diff of the stamped ones (removed ids are never looked at again, nor is
/// any token twice). The child links come from the tree's own child lists, so an added or removed child changes at most
/// its parent's and its previous sibling's records.
/// <para>
/// Each live node holds one device row; a removed node's row goes to a new node, so the device arrays and every
/// per-node pass of the planner stay as long as the most nodes live at once, however many ids a long session has used
/// (speculative decoding retires hundreds per step). Records and queries name rows, not tree ids.
/// </para>
/// <para>
/// Each node owns a contiguous stretch of the slot arena with room to grow (a power of two, at least twice its tokens):
/// appends and merges write only the new slots; a node that outgrows its stretch moves to a larger one (its slots
/// uploaded once more, amortised O(1) per token). The stretches of removed nodes and of nodes that moved are kept by size
/// and handed to new nodes first, so speculative rounds, which retire and add hundreds of one-token nodes per step, reuse
/// the same stretches instead of running the arena out. When the arena or the rows do run out, everything is uploaded
/// again into larger buffers (a walk over the live nodes, not over every id ever used). This relies on two promises of
/// <see cref="DecodingTree"/>: node ids are never reused, and a node's slots only grow at the end.
/// </para>
/// </summary>
internal sealed class DeviceTree : IDisposable
{
    private const int MinimumStretch = 4;

    private readonly Accelerator accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<NodeRecord>, ArrayView<SlotWrite>, DeviceTreeViews> scatter;
    private readonly DeviceBuffer<int> live, parent, count, slotStart, firstChild, nextSibling, arena;
    private readonly DeviceBuffer<NodeRecord> recordStaging;
    private readonly DeviceBuffer<SlotWrite> slotStaging;
    // Host side of the two uploads; the planner's header read synchronizes the stream before the next Sync reuses them.
    private readonly PinnedStaging<NodeRecord> recordHost;
    private readonly PinnedStaging<SlotWrite> slotHost;
    private readonly List<NodeRecord> records = new();
    private readonly List<SlotWrite> writes = new();
    // Rows of removed nodes, for new nodes to take; those freed by this sync.
    private readonly Stack<int> freeRows = new();
    private readonly List<int> released = new();
    // Arena stretches no node holds, by size class (room 2^c); a new or moving node takes one of its class before the arena's end.
    private readonly Stack<int>[] freeStretches = Enumerable.Range(0, 32).Select(_ => new Stack<int>()).ToArray();
    // Ids live in the tree but not yet on the device, ascending.
    private readonly List<int> newIds = new();
    // Ids live on the device, ascending; a removed id never returns, so the diff skips it from then on.
    private List<int> liveIds = new(), nextLiveIds = new();
    // By tree id: its row (-1: none), the host shadow of what the row holds (for ids below `known`), and the tree's next
    // sibling (gathered from the child lists before the diff).
    private int[] rowOf = Array.Empty<int>(), shadowParent = Array.Empty<int>(), shadowCount = Array.Empty<int>(), shadowStart = Array.Empty<int>();
    private int[] shadowRoom = Array.Empty<int>(), shadowFirstChild = Array.Empty<int>(), shadowNextSibling = Array.Empty<int>(), nextSiblingOf = Array.Empty<int>();
    // By row: 1 while a live node holds it (the device arrays' capacity is its length).
    private int[] held = Array.Empty<int>();
    private int rowBound;
    private int known;
    // The tree's version the device holds (valid while known > 0).
    private long syncedVersion;
    private long arenaUsed;
    private DecodingTree? source;

    public DeviceTree(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        scatter = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<NodeRecord>, ArrayView<SlotWrite>, DeviceTreeViews>(DeviceTreeKernels.Scatter);
        live = new(accelerator, "The device tree's live flags");
        parent = new(accelerator, "The device tree's parents");
        count = new(accelerator, "The device tree's token counts");
        slotStart = new(accelerator, "The device tree's slot starts");
        firstChild = new(accelerator, "The device tree's first children");
        nextSibling = new(accelerator, "The device tree's next siblings");
        arena = new(accelerator, "The device tree's slot arena");
        recordStaging = new(accelerator, "The device tree's node changes");
        slotStaging = new(accelerator, "The device tree's new slots");
        recordHost = new(accelerator);
        slotHost = new(accelerator);
    }

    /// <summary>The device arrays (valid after <see cref="Sync"/>).</summary>
    public DeviceTreeViews Views => new()
    {
        Live = live.View, Parent = parent.View, Count = count.View, SlotStart = slotStart.View,
        FirstChild = firstChild.View, NextSibling = nextSibling.View, Arena = arena.View,
    };

    /// <summary>Node records uploaded by the last <see cref="Sync"/> (what a step's edits cost).</summary>
    public int LastNodeUploads { get; private set; }

    /// <summary>Times the rows or the arena ran out and the tree was uploaded again whole (not counting a first or new tree).</summary>
    public int Restarts { get; private set; }

    /// <summary>Slot ids uploaded by the last <see cref="Sync"/>.</summary>
    public int LastSlotUploads { get; private set; }

    /// <summary>One past the largest row in use (valid after <see cref="Sync"/>): the length of the planner's per-node passes.</summary>
    public int RowBound => rowBound;

    /// <summary>The device row of live node <paramref name="node"/> (valid after <see cref="Sync"/>).</summary>
    public int RowOf(int node) => rowOf[node];

    /// <summary>
    /// Makes the device mirror equal to <paramref name="tree"/> (a different tree than last time is uploaded whole). The
    /// uploads are enqueued from page-locked memory without waiting; the stream must be synchronized before the next call.
    /// </summary>
    public void Sync(DecodingTree tree, AcceleratorStream stream)
    {
        if (!ReferenceEquals(tree, source))
        {
            source = tree;
            known = 0;
        }
        if (known > 0 && tree.Version == syncedVersion)
        {
            LastNodeUploads = LastSlotUploads = 0;
            return;
        }
        int bound = tree.NodeIdBound;
        if (bound > rowOf.Length) GrowIds(Math.Max(64, 2 * bound));
        if (known == 0) GrowRows(2 * tree.NodeCount);
        if (!Collect(tree))
        {
            // Rows or arena ran out: start over with room for every live node, and its stretch, twice over.
            Restarts++;
            known = 0;
            GrowRows(2 * tree.NodeCount);
            arena.EnsureLength(2 * (4 * tree.TokenCount + MinimumStretch * (long)tree.NodeCount) + 64);
            Collect(tree);
        }
        LastNodeUploads = records.Count;
        LastSlotUploads = writes.Count;
        if (records.Count == 0 && writes.Count == 0) return;
        recordHost.Upload(stream, CollectionsMarshal.AsSpan(records), recordStaging);
        slotHost.Upload(stream, CollectionsMarshal.AsSpan(writes), slotStaging);
        scatter(stream, Math.Max(records.Count, writes.Count), recordStaging.View, slotStaging.View, Views);
    }

    // Frees the rows of removed ids, gives new ids rows, marks the rows left free removed, and diffs every live id against
    // the shadow; false (state to be rebuilt from scratch) when the rows or the arena have no room.
    private bool Collect(DecodingTree tree)
    {
        records.Clear();
        writes.Clear();
        nextLiveIds.Clear();
        released.Clear();
        if (known == 0)
        {
            arenaUsed = 0;
            liveIds.Clear();
            freeRows.Clear();
            Array.Clear(held);
            rowBound = 0;
            foreach (var stretches in freeStretches) stretches.Clear();
        }
        int bound = tree.NodeIdBound;
        foreach (int id in liveIds)
        {
            if (tree.IsLive(id)) continue;
            released.Add(rowOf[id]);
            freeRows.Push(rowOf[id]);
            held[rowOf[id]] = 0;
            Free(id);
        }
        newIds.Clear();
        if (known == 0)
        {
            newIds.AddRange(tree.PreOrder());
            newIds.Sort();
        }
        else
            for (int id = known; id < bound; id++)
                if (tree.IsLive(id)) newIds.Add(id);
        foreach (int id in newIds)
        {
            if (freeRows.Count == 0 && rowBound == held.Length) return false;
            int row = freeRows.Count > 0 ? freeRows.Pop() : rowBound++;
            rowOf[id] = row;
            held[row] = 1;
        }
        foreach (int row in released)
            if (held[row] == 0) records.Add(new NodeRecord(row, -1, 0, 0, 0, -1, -1));
        // Sibling links from the child lists that changed (all of them on a full upload), then the records of the nodes
        // that changed or whose links may have.
        long since = known == 0 ? long.MinValue : syncedVersion;
        if (tree.RootsChangedAt > since) LinkSiblings(tree.Roots);
        foreach (int id in liveIds)
            if (tree.IsLive(id) && tree.ChangedAt(id) > since) LinkSiblings(tree.Children(id));
        foreach (int id in newIds) LinkSiblings(tree.Children(id));
        foreach (int id in liveIds)
        {
            if (!tree.IsLive(id)) continue;
            nextLiveIds.Add(id);
            if (Stale(tree, id, since) && !Visit(tree, id)) return false;
        }
        foreach (int id in newIds)
        {
            nextLiveIds.Add(id);
            if (!Visit(tree, id)) return false;
        }
        (liveIds, nextLiveIds) = (nextLiveIds, liveIds);
        known = bound;
        syncedVersion = tree.Version;
        return true;
    }

    // Stamped since the version the device holds, or a child of a stamped parent (or of the changed root list).
    private static bool Stale(DecodingTree tree, int id, long since)
    {
        if (tree.ChangedAt(id) > since) return true;
        int parent = tree.Parent(id);
        return parent < 0 ? tree.RootsChangedAt > since : tree.ChangedAt(parent) > since;
    }

    // Every live id is a root or a live node's child, so this reaches each one once.
    private void LinkSiblings(IReadOnlyList<int> siblings)
    {
        for (int k = 0; k < siblings.Count; k++) nextSiblingOf[siblings[k]] = k + 1 < siblings.Count ? siblings[k + 1] : -1;
    }

    private int Row(int node) => node < 0 ? -1 : rowOf[node];

    // Records what changed about one live id (new, grown, re-parented, re-linked); false when a placement does not fit.
    private bool Visit(DecodingTree tree, int id)
    {
        var children = tree.Children(id);
        var record = new NodeRecord(rowOf[id], Row(tree.Parent(id)), 0, 0, 1, children.Count > 0 ? rowOf[children[0]] : -1, Row(nextSiblingOf[id]));
        var slots = tree.SlotSpan(id);
        if (id >= known || slots.Length > shadowRoom[id] || slots.Length < shadowCount[id]) return Place(id, record, slots);
        if (slots.Length != shadowCount[id] || record.Parent != shadowParent[id]
            || record.FirstChild != shadowFirstChild[id] || record.NextSibling != shadowNextSibling[id])
        {
            for (int t = shadowCount[id]; t < slots.Length; t++) writes.Add(new SlotWrite(shadowStart[id] + t, slots[t]));
            Record(id, record with { Count = slots.Length, SlotStart = shadowStart[id] });
        }
        return true;
    }

    // Gives the node a stretch of its size class (a free one, else one at the arena's end; a node that moved frees its
    // old one) and writes all its slots there.
    private bool Place(int id, NodeRecord record, ReadOnlySpan<int> slots)
    {
        long room = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(MinimumStretch, 2L * slots.Length));
        var stretches = freeStretches[BitOperations.Log2((ulong)room)];
        int start;
        if (stretches.Count > 0)
            start = stretches.Pop();
        else
        {
            if (arenaUsed + room > arena.View.Length) return false;
            start = (int)arenaUsed;
            arenaUsed += room;
        }
        if (id < known) Free(id);
        shadowRoom[id] = (int)room;
        for (int t = 0; t < slots.Length; t++) writes.Add(new SlotWrite(start + t, slots[t]));
        Record(id, record with { Count = slots.Length, SlotStart = start });
        return true;
    }

    // Returns the stretch of an id the device holds (below `known`) to its size class.
    private void Free(int id) => freeStretches[BitOperations.Log2((uint)shadowRoom[id])].Push(shadowStart[id]);

    private void Record(int id, NodeRecord record)
    {
        shadowParent[id] = record.Parent;
        shadowCount[id] = record.Count;
        shadowStart[id] = record.SlotStart;
        shadowFirstChild[id] = record.FirstChild;
        shadowNextSibling[id] = record.NextSibling;
        records.Add(record);
    }

    // The per-id host arrays keep their contents.
    private void GrowIds(int capacity)
    {
        Array.Resize(ref rowOf, capacity);
        Array.Resize(ref shadowParent, capacity);
        Array.Resize(ref shadowCount, capacity);
        Array.Resize(ref shadowStart, capacity);
        Array.Resize(ref shadowRoom, capacity);
        Array.Resize(ref shadowFirstChild, capacity);
        Array.Resize(ref shadowNextSibling, capacity);
        Array.Resize(ref nextSiblingOf, capacity);
    }

    // Only before a full upload (known = 0): grown device arrays hold nothing yet.
    private void GrowRows(int rows)
    {
        if (rows <= held.Length) return;
        held = new int[Math.Max(64, rows)];
        foreach (var b in new[] { live, parent, count, slotStart, firstChild, nextSibling }) b.EnsureLength(held.Length);
    }

    public void Dispose()
    {
        foreach (var b in new IDisposable[] { live, parent, count, slotStart, firstChild, nextSibling, arena, recordStaging, slotStaging, recordHost, slotHost }) b.Dispose();
    }
}
