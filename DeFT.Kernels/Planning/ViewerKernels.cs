using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Which ordered queries see each group and each candidate item: the union of the masks of the group's tokens, and that
/// union cut to the candidate's window of at most <see cref="PlanViews.MaxQueries"/> queries, as the host's difference
/// array finds them. Within a node the masks share their end and their starts do not decrease
/// (<see cref="LayoutKernels.FirstViewer"/>), so a node contributes one interval to a group: the mask of its first token
/// in the group. The work is spread over (group, node) pairs rather than looped per group, since one Flatten block can
/// hold hundreds of small nodes (the token tree of a Medusa step): each pair folds its interval into its group's bounds
/// (integer atomics: deterministic), then into the at most two windows it cuts and, through a difference array over the
/// candidates, marks the windows it covers whole. Phases of <see cref="PlanKernel"/>, one index per call, with scans
/// between them. No shared memory.
/// </summary>
internal static class ViewerKernels
{
    /// <summary>
    /// One group, or the one past the last (0 pairs, so the scan's total is the pair count): the nodes its tokens belong
    /// to, from the one holding its first token through the one holding its last (nodes with no kept token between them
    /// are pairs that contribute nothing). Resets the group's query bounds.
    /// </summary>
    public static void GroupNodes(int g, int groups, PlanViews v)
    {
        if (g == groups)
        {
            v.GroupPairs[g] = 0;
            return;
        }
        int first = DeviceSearch.UpperBound(v.FlatBegin, v.LiveNodes + 1, v.GroupBegin[g]) - 1;
        int end = DeviceSearch.UpperBound(v.FlatBegin, v.LiveNodes + 1, v.GroupBegin[g + 1] - 1);
        v.GroupFirstNode[g] = first;
        v.GroupPairs[g] = end - first;
        v.GroupLo[g] = int.MaxValue;
        v.GroupHi[g] = int.MinValue;
    }

    /// <summary>
    /// One (group, node) pair: the node's interval of viewers within the group (empty for a node with no token there),
    /// kept for <see cref="CutWindows"/> and folded into the group's bounds.
    /// </summary>
    public static void FoldPair(int p, int groups, PlanViews v)
    {
        int g = DeviceSearch.UpperBound(v.GroupPairBase, groups + 1, p) - 1;
        int i = v.GroupFirstNode[g] + p - v.GroupPairBase[g];
        int from = Math.Max(v.GroupBegin[g], v.FlatBegin[i]);
        int a = int.MaxValue, b = int.MinValue;
        if (from < v.FlatBegin[i + 1])
        {
            a = LayoutKernels.FirstViewer(i, from - v.FlatBegin[i], v);
            b = v.SubtreeEnd[i];
            Atomic.Min(ref v.GroupLo[g], a);
            Atomic.Max(ref v.GroupHi[g], b);
        }
        v.PairLo[p] = a;
        v.PairHi[p] = b;
    }

    /// <summary>One group, or the one past the last (0): its candidates, its query range in windows of <see cref="PlanViews.MaxQueries"/>.</summary>
    public static void GroupChunks(int g, int groups, PlanViews v) =>
        v.GroupChunks[g] = g == groups ? 0 : (int)(((long)v.GroupHi[g] - v.GroupLo[g] + v.MaxQueries - 1) / v.MaxQueries);

    /// <summary>One candidate, or the one past the last: finds its group, resets its bounds and its cover mark.</summary>
    public static void ResetCandidate(int c, int groups, int candidates, PlanViews v)
    {
        v.CandidateCover[c] = 0;
        if (c == candidates) return;
        v.CandidateGroup[c] = DeviceSearch.UpperBound(v.ChunkBase, groups + 1, c) - 1;
        v.WindowFirst[c] = int.MaxValue;
        v.WindowEnd[c] = int.MinValue;
    }

    /// <summary>
    /// One (group, node) pair with viewers: its interval [a, b) cut to the first and the last window it meets (atomics),
    /// and the windows strictly between them, which it covers whole, marked +1 / −1 in the difference array.
    /// </summary>
    public static void CutWindows(int p, int groups, PlanViews v)
    {
        int a = v.PairLo[p], b = v.PairHi[p];
        if (a >= b) return;
        int g = DeviceSearch.UpperBound(v.GroupPairBase, groups + 1, p) - 1;
        int lo = v.GroupLo[g], first = (a - lo) / v.MaxQueries, last = (b - 1 - lo) / v.MaxQueries;
        Cut(g, first, a, b, v);
        if (last == first) return;
        Cut(g, last, a, b, v);
        if (last == first + 1) return;
        Atomic.Add(ref v.CandidateCover[v.ChunkBase[g] + first + 1], 1);
        Atomic.Add(ref v.CandidateCover[v.ChunkBase[g] + last], -1);
    }

    private static void Cut(int g, int window, int a, int b, PlanViews v)
    {
        var (begin, end) = Window(g, window, v);
        int c = v.ChunkBase[g] + window;
        Atomic.Min(ref v.WindowFirst[c], Math.Max(a, begin));
        Atomic.Max(ref v.WindowEnd[c], Math.Min(b, end));
    }

    /// <summary>The queries of window <paramref name="window"/> of group <paramref name="g"/>'s query range.</summary>
    public static (int Begin, int End) Window(int g, int window, PlanViews v)
    {
        long begin = v.GroupLo[g] + (long)window * v.MaxQueries;
        return ((int)begin, (int)Math.Min(v.GroupHi[g], begin + v.MaxQueries));
    }
}
