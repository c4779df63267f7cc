using DeFT.Core.Planning;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The depth-first layout of <see cref="TreeLayout"/> on the device: the query order, each node's own and subtree query
/// ranges, the tokens kept per node and the flat tokens with their query-interval masks (DESIGN.md §3). The query order
/// sorts by (pre-order of the node, visible tokens, caller index), as on the host.
/// No kernel here uses shared memory.
/// </summary>
internal static class LayoutKernels
{
    /// <summary>
    /// Grid: one thread per query. Each counts the queries ordered before it by (key, caller index) — a stable rank sort,
    /// O(queries) per thread (see <see cref="TourKernels.SiblingOrder"/> for why not a radix sort) — and writes its key
    /// and caller index at that position.
    /// </summary>
    public static void QueryOrder(Index1D q, PlanViews v)
    {
        long key = Key(q, v);
        int rank = 0;
        for (int r = 0; r < v.QueryCount; r++)
        {
            long other = Key(r, v);
            if (other < key || (other == key && r < q)) rank++;
        }
        v.QueryKey[rank] = key;
        v.QueryOrder[rank] = q;
    }

    // (pre-order of the query's node) · 2³² + its visible tokens.
    private static long Key(int q, PlanViews v)
    {
        var query = v.Queries[q];
        return ((long)v.NodePre[query.Node] << 32) | (uint)query.VisibleTokens;
    }

    /// <summary>
    /// Grid: one thread per pre-order position and one more; each finds the first ordered query on its node (or after
    /// it) in the sorted keys. The extra thread's answer is the query count.
    /// </summary>
    public static void OwnRanges(Index1D i, PlanViews v) =>
        v.OwnBegin[i] = DeviceSearch.LowerBound(v.QueryKey, 0, v.QueryCount, (long)(int)i << 32);

    /// <summary>
    /// Grid: one thread per pre-order position and one more (which writes the 0 that the scan turns into the total).
    /// A node's subtree queries end where the pre-order position past its subtree begins. It keeps all its tokens when a
    /// query below it sees them, else as many as its own longest query sees.
    /// </summary>
    public static void KeepCounts(Index1D i, PlanViews v)
    {
        if (i == v.LiveNodes)
        {
            v.Keep[i] = 0;
            return;
        }
        int ownEnd = v.OwnBegin[i + 1];
        int subtreeEnd = v.OwnBegin[i + v.PreSize[i]];
        v.SubtreeEnd[i] = subtreeEnd;
        v.Keep[i] = subtreeEnd > ownEnd ? v.Tree.Count[v.PreNode[i]]
            : ownEnd > v.OwnBegin[i] ? (int)(v.QueryKey[ownEnd - 1] & uint.MaxValue) : 0;
    }

    /// <summary>
    /// Grid: one thread per possible flat token (the tree's tokens bound them); threads past the flat token count do
    /// nothing. Each finds its node by binary search over <see cref="PlanViews.FlatBegin"/>, copies its slot, and masks it
    /// with the ordered queries that see it: the node's own queries whose visible length exceeds the token's offset
    /// (a suffix of its own range, found by binary search), through the end of the subtree's queries.
    /// </summary>
    public static void FlatTokens(Index1D t, PlanViews v)
    {
        if (t >= v.FlatBegin[v.LiveNodes]) return;
        int i = DeviceSearch.UpperBound(v.FlatBegin, v.LiveNodes + 1, t) - 1;
        int offset = t - v.FlatBegin[i];
        int node = v.PreNode[i];
        int slot = v.Tree.Arena[v.Tree.SlotStart[node] + offset];
        int lo = DeviceSearch.LowerBound(v.QueryKey, v.OwnBegin[i], v.OwnBegin[i + 1], ((long)i << 32) + offset + 1);
        v.TokenSlots[t] = slot;
        v.TokenVisibility[t] = new QueryRange(lo, v.SubtreeEnd[i]);
        Atomic.Max(ref v.Header[PlanHeader.MaxSlot], slot);
    }
}
