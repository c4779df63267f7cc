namespace DeFT.Kernels.Planning;

/// <summary>
/// Depth-first pre-order positions and subtree sizes by an Euler tour and list ranking (no level-by-level loop, so a
/// path of thousands of nodes costs O(log n) rounds): the tour's edges (down into a node, up out of it; the roots are
/// siblings under a virtual root) are linked through the tree's child links, and pointer jumping counts, for every edge,
/// the down edges from it to the tour's end. A node's pre-order position is the live nodes less that count at its down
/// edge; its subtree size is the difference between its down and up edges' counts. Phases of <see cref="PlanKernel"/>:
/// each call handles one index and touches global memory only.
/// </summary>
internal static class TourKernels
{
    /// <summary>
    /// One node row: links its two tour edges in pair 0 of the tour arrays. Down: to the first child, or back up. Up: to
    /// the next sibling's down edge, else the parent's up edge, else the end. Free rows get edges that lead nowhere.
    /// </summary>
    public static void LinkEdges(int row, PlanViews v)
    {
        int down = 2 * row;
        if (v.Tree.Live[row] == 0)
        {
            v.TourNext[down] = -1;
            v.TourNext[down + 1] = -1;
            v.TourRank[down] = 0;
            v.TourRank[down + 1] = 0;
            return;
        }
        int child = v.Tree.FirstChild[row];
        v.TourNext[down] = child >= 0 ? 2 * child : down + 1;
        v.TourRank[down] = 1;
        int sibling = v.Tree.NextSibling[row];
        int parent = v.Tree.Parent[row];
        v.TourNext[down + 1] = sibling >= 0 ? 2 * sibling : parent >= 0 ? 2 * parent + 1 : -1;
        v.TourRank[down + 1] = 0;
    }

    /// <summary>Rounds of <see cref="Jump"/> until every edge has reached the tour's end.</summary>
    public static int Rounds(PlanViews v)
    {
        int rounds = 0;
        while ((1L << rounds) < 2L * v.LiveNodes) rounds++;
        return rounds;
    }

    /// <summary>
    /// One tour edge, one round of pointer jumping: adds its successor's count and jumps past it, reading pair
    /// <paramref name="from"/> of the tour arrays and writing the other (no edge reads what another writes in the round).
    /// </summary>
    public static void Jump(int e, PlanViews v, int from)
    {
        int edges = 2 * v.NodeBound;
        int input = from * edges, output = (1 - from) * edges;
        int next = v.TourNext[input + e];
        if (next < 0)
        {
            v.TourNext[output + e] = -1;
            v.TourRank[output + e] = v.TourRank[input + e];
            return;
        }
        v.TourRank[output + e] = v.TourRank[input + e] + v.TourRank[input + next];
        v.TourNext[output + e] = v.TourNext[input + next];
    }

    /// <summary>One node row: a live node writes its pre-order position, and its row and subtree size by that position, from pair <paramref name="pair"/>'s counts.</summary>
    public static void Positions(int row, PlanViews v, int pair)
    {
        if (v.Tree.Live[row] == 0) return;
        int ranks = pair * 2 * v.NodeBound;
        int downRank = v.TourRank[ranks + 2 * row];
        int pre = v.LiveNodes - downRank;
        v.NodePre[row] = pre;
        v.PreNode[pre] = row;
        v.PreSize[pre] = downRank - v.TourRank[ranks + 2 * row + 1];
    }
}
