using System.Runtime.InteropServices;
using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// A device mirror of one <see cref="DecodingTree"/> (<see cref="DeviceTreeViews"/>), brought up to date by
/// <see cref="Sync"/> with small uploads (one scatter launch): the records of new and changed nodes and the slot ids of
/// new tokens. It keeps a host shadow of what the device holds and diffs the tree's nodes against it (O(live nodes + new
/// ids) host work: removed ids are never looked at again, nor is any token twice), which catches every edit — append,
/// fork, prune, token trees, accept — however the tree was changed. The child links come from the tree's own child lists,
/// so an added or removed child changes at most its parent's and its previous sibling's records.
/// <para>
/// Each node owns a contiguous stretch of the slot arena with room to grow (twice its tokens): appends and merges write
/// only the new slots; a node that outgrows its stretch moves to the arena's end (its slots uploaded once more, amortised
/// O(1) per token). When the arena or the node arrays run out, everything is uploaded again into larger buffers. This
/// relies on two promises of <see cref="DecodingTree"/>: node ids are never reused, and a node's slots only grow at the end.
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
    private readonly List<NodeRecord> records = new();
    private readonly List<SlotWrite> writes = new();
    // Ids live on the device, ascending; a removed id never returns, so the diff skips it from then on.
    private List<int> liveIds = new(), nextLiveIds = new();
    // The host shadow: what the device holds for node ids below `known`.
    private int[] shadowParent = Array.Empty<int>(), shadowCount = Array.Empty<int>(), shadowStart = Array.Empty<int>(), shadowRoom = Array.Empty<int>();
    private int[] shadowFirstChild = Array.Empty<int>(), shadowNextSibling = Array.Empty<int>();
    // The tree's next sibling of every live id, gathered from its child lists before the diff.
    private int[] nextSiblingOf = Array.Empty<int>();
    private int known;
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
    }

    /// <summary>The device arrays (valid after <see cref="Sync"/>).</summary>
    public DeviceTreeViews Views => new()
    {
        Live = live.View, Parent = parent.View, Count = count.View, SlotStart = slotStart.View,
        FirstChild = firstChild.View, NextSibling = nextSibling.View, Arena = arena.View,
    };

    /// <summary>Node records uploaded by the last <see cref="Sync"/> (what a step's edits cost).</summary>
    public int LastNodeUploads { get; private set; }

    /// <summary>Slot ids uploaded by the last <see cref="Sync"/>.</summary>
    public int LastSlotUploads { get; private set; }

    /// <summary>Makes the device mirror equal to <paramref name="tree"/> (a different tree than last time is uploaded whole).</summary>
    public void Sync(DecodingTree tree, AcceleratorStream stream)
    {
        if (!ReferenceEquals(tree, source))
        {
            source = tree;
            known = 0;
        }
        int bound = tree.NodeIdBound;
        if (bound > shadowParent.Length) GrowNodes(Math.Max(64, 2 * bound));
        if (!Collect(tree))
        {
            // The arena is full: start over in one with room for every live node's stretch, twice over.
            known = 0;
            arena.EnsureLength(2 * (2 * tree.TokenCount + MinimumStretch * (long)tree.NodeCount) + 64);
            Collect(tree);
        }
        LastNodeUploads = records.Count;
        LastSlotUploads = writes.Count;
        if (records.Count == 0 && writes.Count == 0) return;
        recordStaging.Upload(stream, CollectionsMarshal.AsSpan(records));
        slotStaging.Upload(stream, CollectionsMarshal.AsSpan(writes));
        scatter(stream, Math.Max(records.Count, writes.Count), recordStaging.View, slotStaging.View, Views);
    }

    // Diffs the ids live on the device and the new ids against the shadow; false (nothing recorded) when the arena has no
    // room for a placement.
    private bool Collect(DecodingTree tree)
    {
        records.Clear();
        writes.Clear();
        nextLiveIds.Clear();
        if (known == 0)
        {
            arenaUsed = 0;
            liveIds.Clear();
        }
        int bound = tree.NodeIdBound;
        LinkSiblings(tree.Roots);
        foreach (int id in liveIds)
            if (tree.IsLive(id)) LinkSiblings(tree.Children(id));
        for (int id = known; id < bound; id++)
            if (tree.IsLive(id)) LinkSiblings(tree.Children(id));
        foreach (int id in liveIds)
            if (!Visit(tree, id)) return false;
        for (int id = known; id < bound; id++)
            if (!Visit(tree, id)) return false;
        (liveIds, nextLiveIds) = (nextLiveIds, liveIds);
        known = bound;
        return true;
    }

    // Every live id is a root or a live node's child, so this reaches each one once.
    private void LinkSiblings(IReadOnlyList<int> siblings)
    {
        for (int k = 0; k < siblings.Count; k++) nextSiblingOf[siblings[k]] = k + 1 < siblings.Count ? siblings[k + 1] : -1;
    }

    // Records what changed about one id (new, removed, grown, re-parented); false when a placement does not fit.
    private bool Visit(DecodingTree tree, int id)
    {
        bool fresh = id >= known;
        if (!tree.IsLive(id))
        {
            Record(new NodeRecord(id, -1, 0, 0, 0, -1, -1));
            return true;
        }
        nextLiveIds.Add(id);
        var children = tree.Children(id);
        var record = new NodeRecord(id, tree.Parent(id), 0, 0, 1, children.Count > 0 ? children[0] : -1, nextSiblingOf[id]);
        var slots = tree.SlotSpan(id);
        if (fresh || slots.Length > shadowRoom[id] || slots.Length < shadowCount[id]) return Place(record, slots);
        if (slots.Length != shadowCount[id] || record.Parent != shadowParent[id]
            || record.FirstChild != shadowFirstChild[id] || record.NextSibling != shadowNextSibling[id])
        {
            for (int t = shadowCount[id]; t < slots.Length; t++) writes.Add(new SlotWrite(shadowStart[id] + t, slots[t]));
            Record(record with { Count = slots.Length, SlotStart = shadowStart[id] });
        }
        return true;
    }

    // Gives the node a fresh stretch at the arena's end and writes all its slots there.
    private bool Place(NodeRecord record, ReadOnlySpan<int> slots)
    {
        int id = record.Node;
        int room = Math.Max(MinimumStretch, 2 * slots.Length);
        if (arenaUsed + room > arena.View.Length) return false;
        int start = (int)arenaUsed;
        arenaUsed += room;
        shadowRoom[id] = room;
        for (int t = 0; t < slots.Length; t++) writes.Add(new SlotWrite(start + t, slots[t]));
        Record(record with { Count = slots.Length, SlotStart = start });
        return true;
    }

    private void Record(NodeRecord record)
    {
        int id = record.Node;
        shadowParent[id] = record.Parent;
        shadowCount[id] = record.Count;
        shadowStart[id] = record.SlotStart;
        shadowFirstChild[id] = record.FirstChild;
        shadowNextSibling[id] = record.NextSibling;
        records.Add(record);
    }

    private void GrowNodes(int capacity)
    {
        Array.Resize(ref shadowParent, capacity);
        Array.Resize(ref shadowCount, capacity);
        Array.Resize(ref shadowStart, capacity);
        Array.Resize(ref shadowRoom, capacity);
        Array.Resize(ref shadowFirstChild, capacity);
        Array.Resize(ref shadowNextSibling, capacity);
        Array.Resize(ref nextSiblingOf, capacity);
        foreach (var b in new[] { live, parent, count, slotStart, firstChild, nextSibling }) b.EnsureLength(capacity);
        known = 0; // the grown device arrays hold nothing yet
    }

    public void Dispose()
    {
        foreach (var b in new IDisposable[] { live, parent, count, slotStart, firstChild, nextSibling, arena, recordStaging, slotStaging }) b.Dispose();
    }
}
