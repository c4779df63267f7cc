using System.Runtime.InteropServices;
using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// A device mirror of one <see cref="DecodingTree"/> (<see cref="DeviceTreeViews"/>), brought up to date by
/// <see cref="Sync"/> with small uploads: the records of new and changed nodes and the slot ids of new tokens. It keeps a
/// host shadow of what the device holds and diffs the tree's nodes against it (O(live nodes + new ids) host work: removed
/// ids are never looked at again, nor is any token twice), which catches every edit — append, fork, prune, token trees,
/// accept — however the tree was changed.
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
    private readonly Action<AcceleratorStream, Index1D, ArrayView<NodeRecord>, DeviceTreeViews> scatterNodes;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<SlotWrite>, ArrayView<int>> scatterSlots;
    private readonly DeviceBuffer<int> live, parent, count, slotStart, arena;
    private readonly DeviceBuffer<NodeRecord> recordStaging;
    private readonly DeviceBuffer<SlotWrite> slotStaging;
    private readonly List<NodeRecord> records = new();
    private readonly List<SlotWrite> writes = new();
    // Ids live on the device, ascending; a removed id never returns, so the diff skips it from then on.
    private List<int> liveIds = new(), nextLiveIds = new();
    // The host shadow: what the device holds for node ids below `known`.
    private int[] shadowParent = Array.Empty<int>(), shadowCount = Array.Empty<int>(), shadowStart = Array.Empty<int>(), shadowRoom = Array.Empty<int>();
    private int known;
    private long arenaUsed;
    private DecodingTree? source;

    public DeviceTree(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        scatterNodes = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<NodeRecord>, DeviceTreeViews>(DeviceTreeKernels.ScatterNodes);
        scatterSlots = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<SlotWrite>, ArrayView<int>>(DeviceTreeKernels.ScatterSlots);
        live = new(accelerator, "The device tree's live flags");
        parent = new(accelerator, "The device tree's parents");
        count = new(accelerator, "The device tree's token counts");
        slotStart = new(accelerator, "The device tree's slot starts");
        arena = new(accelerator, "The device tree's slot arena");
        recordStaging = new(accelerator, "The device tree's node changes");
        slotStaging = new(accelerator, "The device tree's new slots");
    }

    /// <summary>The device arrays (valid after <see cref="Sync"/>).</summary>
    public DeviceTreeViews Views => new() { Live = live.View, Parent = parent.View, Count = count.View, SlotStart = slotStart.View, Arena = arena.View };

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
        if (records.Count > 0)
        {
            recordStaging.Upload(stream, CollectionsMarshal.AsSpan(records));
            scatterNodes(stream, records.Count, recordStaging.View, Views);
        }
        if (writes.Count > 0)
        {
            slotStaging.Upload(stream, CollectionsMarshal.AsSpan(writes));
            scatterSlots(stream, writes.Count, slotStaging.View, arena.View);
        }
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
        foreach (int id in liveIds)
            if (!Visit(tree, id)) return false;
        for (int id = known; id < bound; id++)
            if (!Visit(tree, id)) return false;
        (liveIds, nextLiveIds) = (nextLiveIds, liveIds);
        known = bound;
        return true;
    }

    // Records what changed about one id (new, removed, grown, re-parented); false when a placement does not fit.
    private bool Visit(DecodingTree tree, int id)
    {
        bool fresh = id >= known;
        if (!tree.IsLive(id))
        {
            Record(id, -1, 0, 0, false);
            return true;
        }
        nextLiveIds.Add(id);
        int p = tree.Parent(id);
        var slots = tree.SlotSpan(id);
        if (fresh || slots.Length > shadowRoom[id] || slots.Length < shadowCount[id]) return Place(id, p, slots);
        if (slots.Length != shadowCount[id] || p != shadowParent[id])
        {
            for (int t = shadowCount[id]; t < slots.Length; t++) writes.Add(new SlotWrite(shadowStart[id] + t, slots[t]));
            Record(id, p, slots.Length, shadowStart[id], true);
        }
        return true;
    }

    // Gives the node a fresh stretch at the arena's end and writes all its slots there.
    private bool Place(int id, int p, ReadOnlySpan<int> slots)
    {
        int room = Math.Max(MinimumStretch, 2 * slots.Length);
        if (arenaUsed + room > arena.View.Length) return false;
        int start = (int)arenaUsed;
        arenaUsed += room;
        shadowRoom[id] = room;
        for (int t = 0; t < slots.Length; t++) writes.Add(new SlotWrite(start + t, slots[t]));
        Record(id, p, slots.Length, start, true);
        return true;
    }

    private void Record(int id, int p, int tokens, int start, bool isLive)
    {
        shadowParent[id] = p;
        shadowCount[id] = tokens;
        shadowStart[id] = start;
        records.Add(new NodeRecord(id, p, tokens, start, isLive ? 1 : 0));
    }

    private void GrowNodes(int capacity)
    {
        Array.Resize(ref shadowParent, capacity);
        Array.Resize(ref shadowCount, capacity);
        Array.Resize(ref shadowStart, capacity);
        Array.Resize(ref shadowRoom, capacity);
        foreach (var b in new[] { live, parent, count, slotStart }) b.EnsureLength(capacity);
        known = 0; // the grown device arrays hold nothing yet
    }

    public void Dispose()
    {
        foreach (var b in new IDisposable[] { live, parent, count, slotStart, arena, recordStaging, slotStaging }) b.Dispose();
    }
}
