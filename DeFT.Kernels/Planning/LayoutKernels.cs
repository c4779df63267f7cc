using DeFT.Core.Planning;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The depth-first layout of <see cref="TreeLayout"/> on the device: the query order, each node's own and subtree query
/// ranges, the tokens kept per node and the flat tokens with their query-interval masks (DESIGN.md §3). The query order
/// sorts by (pre-order of the node, visible tokens, caller index), as on the host: a counting sort by node (count, scan,
/// place), then a rank sort among each node's own queries. All but <see cref="FlatTokens"/> are phases of
/// <see cref="PlanKernel"/>, one index per call. No shared memory.
/// </summary>
internal static class LayoutKernels
{
    /// <summary>
    /// One caller query: counts it on its node (<see cref="PlanViews.OwnCount"/>, scanned into
    /// <see cref="PlanViews.OwnBegin"/>) and keeps its arrival rank there. The ranks depend on timing; the order built
    /// from them does not.
    /// </summary>
    public static void CountQuery(int q, PlanViews v) =>
        v.QueryArrival[q] = Atomic.Add(ref v.OwnCount[v.NodePre[v.Queries[q].Node]], 1);

    /// <summary>One caller query: stores its index in its node's range of ordered positions, at its arrival rank.</summary>
    public static void PlaceQuery(int q, PlanViews v) =>
        v.QueryBucket[v.OwnBegin[v.NodePre[v.Queries[q].Node]] + v.QueryArrival[q]] = q;

    /// <summary>
    /// One caller query: counts the queries of its node ordered before it by (visible tokens, caller index) — O(queries
    /// on the node) — and writes its key and caller index at that position.
    /// </summary>
    public static void OrderQuery(int q, PlanViews v)
    {
        var query = v.Queries[q];
        int pre = v.NodePre[query.Node];
        int begin = v.OwnBegin[pre], end = v.OwnBegin[pre + 1];
        int rank = begin;
        for (int k = begin; k < end; k++)
        {
            int other = v.QueryBucket[k];
            int visible = v.Queries[other].VisibleTokens;
            if (visible < query.VisibleTokens || (visible == query.VisibleTokens && other < q)) rank++;
        }
        v.QueryKey[rank] = ((long)pre << 32) | (uint)query.VisibleTokens;
        v.QueryOrder[rank] = q;
    }

    /// <summary>
    /// One pre-order position, or the one past the last (which writes the 0 that the scan turns into the total).
    /// A node's subtree queries end where the pre-order position past its subtree begins; its parent's position is kept
    /// for the walks up the tree (<see cref="PartialListKernels"/>). It keeps all its tokens when a
    /// query below it sees them, else as many as its own longest query sees.
    /// </summary>
    public static void KeepCounts(int i, PlanViews v)
    {
        if (i == v.LiveNodes)
        {
            v.Keep[i] = 0;
            return;
        }
        int parent = v.Tree.Parent[v.PreNode[i]];
        v.ParentPre[i] = parent < 0 ? -1 : v.NodePre[parent];
        int ownEnd = v.OwnBegin[i + 1];
        int subtreeEnd = v.OwnBegin[i + v.PreSize[i]];
        v.SubtreeEnd[i] = subtreeEnd;
        v.Keep[i] = subtreeEnd > ownEnd ? v.Tree.Count[v.PreNode[i]]
            : ownEnd > v.OwnBegin[i] ? (int)(v.QueryKey[ownEnd - 1] & uint.MaxValue) : 0;
    }

    /// <summary>
    /// The first ordered query that sees token <paramref name="offset"/> of the node at pre-order <paramref name="i"/>:
    /// the node's own queries whose visible length exceeds the offset are a suffix of its own range (binary search); the
    /// token's mask runs from there through the end of the subtree's queries. Non-decreasing in the offset.
    /// </summary>
    public static int FirstViewer(int i, int offset, PlanViews v) =>
        DeviceSearch.LowerBound(v.QueryKey, v.OwnBegin[i], v.OwnBegin[i + 1], ((long)i << 32) + offset + 1);

    /// <summary>
    /// Grid: any number of groups whose size is a multiple of the warp size; the threads stride over the flat tokens
    /// (their count is the device's, <see cref="PlanViews.FlatBegin"/> at <c>LiveNodes</c>). Each token finds its node by
    /// binary search over <see cref="PlanViews.FlatBegin"/>, copies its slot and writes its mask (<see cref="FirstViewer"/>).
    /// The largest slot is reduced per warp before one atomic per warp: an atomic per token, all to one address,
    /// serialised at the L2 (about 1 ns each: 0.3 ms on the 6-level PAT tree's 279k tokens). No shared memory.
    /// </summary>
    public static void FlatTokens(PlanViews v)
    {
        int tokens = v.FlatBegin[v.LiveNodes];
        int maxSlot = -1;
        for (int t = Grid.GlobalIndex.X; t < tokens; t += Grid.DimX * Group.DimX)
        {
            int i = DeviceSearch.UpperBound(v.FlatBegin, v.LiveNodes + 1, t) - 1;
            int offset = t - v.FlatBegin[i];
            int slot = v.Tree.Arena[v.Tree.SlotStart[v.PreNode[i]] + offset];
            v.TokenSlots[t] = slot;
            v.TokenVisibility[t] = new QueryRange(FirstViewer(i, offset, v), v.SubtreeEnd[i]);
            maxSlot = Math.Max(maxSlot, slot);
        }
        maxSlot = WarpExtensions.Reduce<int, MaxInt32>(maxSlot);
        if (Warp.IsFirstLane && maxSlot >= 0) Atomic.Max(ref v.Header[PlanHeader.MaxSlot], maxSlot);
    }
}
