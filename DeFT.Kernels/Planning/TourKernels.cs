using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Depth-first pre-order positions and subtree sizes by an Euler tour and list ranking (no level-by-level loop, so a
/// path of thousands of nodes costs O(log n) launches): children are grouped by a rank sort of (parent, id), the tour's
/// edges are linked (down into a node, up out of it; the roots are siblings under a virtual root), and pointer jumping
/// counts, for every edge, the down edges from it to the tour's end. A node's pre-order position is the live nodes less
/// that count at its down edge; its subtree size is the difference between its down and up edges' counts.
/// No kernel here uses shared memory.
/// </summary>
internal static class TourKernels
{
    /// <summary>Grid: one thread per node id; each live one writes its id at its rank among the live ids (an exclusive scan of the live flags).</summary>
    public static void CompactLive(Index1D id, PlanViews v)
    {
        if (v.Tree.Live[id] != 0) v.LiveIds[v.LiveIndex[id]] = id;
    }

    /// <summary>
    /// Grid: one thread per live node. Each counts the live nodes ordered before it by (parent, id) — a rank sort,
    /// O(live nodes) per thread with no launches in between — and writes itself and its key (parent + 1) at that rank,
    /// so children end up grouped by parent in id order. ILGPU.Algorithms' radix sort does not fit here: on the CPU
    /// accelerator it launches 1024 single-thread groups per 4-bit pass, minutes per plan in the tests.
    /// </summary>
    public static void SiblingOrder(Index1D k, PlanViews v)
    {
        int id = v.LiveIds[k];
        int key = v.Tree.Parent[id] + 1;
        int rank = 0;
        for (int j = 0; j < v.LiveNodes; j++)
        {
            int u = v.LiveIds[j];
            int other = v.Tree.Parent[u] + 1;
            if (other < key || (other == key && u < id)) rank++;
        }
        v.SiblingKey[rank] = key;
        v.SiblingId[rank] = id;
    }

    /// <summary>
    /// Grid: one thread per live node, in (parent, id) order after the sort; each links its next sibling and, when first
    /// among its siblings, is its parent's first child (<see cref="PlanViews.FirstChild"/> starts at -1).
    /// </summary>
    public static void ChildLinks(Index1D i, PlanViews v)
    {
        int id = v.SiblingId[i];
        int key = v.SiblingKey[i];
        v.NextSibling[id] = i + 1 < v.LiveNodes && v.SiblingKey[i + 1] == key ? v.SiblingId[i + 1] : -1;
        if (i == 0 || v.SiblingKey[i - 1] != key) v.FirstChild[key] = id;
    }

    /// <summary>
    /// Grid: one thread per node id; each links its two tour edges. Down: to the first child, or back up. Up: to the
    /// next sibling's down edge, else the parent's up edge, else the end. Removed ids get edges that lead nowhere.
    /// </summary>
    public static void LinkEdges(Index1D id, PlanViews v)
    {
        int down = 2 * id;
        if (v.Tree.Live[id] == 0)
        {
            v.TourNext[down] = -1;
            v.TourNext[down + 1] = -1;
            v.TourRank[down] = 0;
            v.TourRank[down + 1] = 0;
            return;
        }
        int child = v.FirstChild[id + 1];
        v.TourNext[down] = child >= 0 ? 2 * child : down + 1;
        v.TourRank[down] = 1;
        int sibling = v.NextSibling[id];
        int parent = v.Tree.Parent[id];
        v.TourNext[down + 1] = sibling >= 0 ? 2 * sibling : parent >= 0 ? 2 * parent + 1 : -1;
        v.TourRank[down + 1] = 0;
    }

    /// <summary>
    /// One round of pointer jumping. Grid: one thread per tour edge; each adds its successor's count and jumps past it,
    /// reading one pair of arrays and writing the other (no edge reads what another writes in the same round).
    /// </summary>
    public static void Jump(Index1D e, ArrayView<int> nextIn, ArrayView<int> rankIn, ArrayView<int> nextOut, ArrayView<int> rankOut)
    {
        int next = nextIn[e];
        if (next < 0)
        {
            nextOut[e] = -1;
            rankOut[e] = rankIn[e];
            return;
        }
        rankOut[e] = rankIn[e] + rankIn[next];
        nextOut[e] = nextIn[next];
    }

    /// <summary>Grid: one thread per node id; each live node writes its pre-order position, and its id and subtree size by that position.</summary>
    public static void Positions(Index1D id, PlanViews v)
    {
        if (v.Tree.Live[id] == 0) return;
        int downRank = v.TourRank[2 * id];
        int pre = v.LiveNodes - downRank;
        v.NodePre[id] = pre;
        v.PreNode[pre] = id;
        v.PreSize[pre] = downRank - v.TourRank[2 * id + 1];
    }
}
