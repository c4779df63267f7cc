using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// DeFT-Adaptive's cut without a target (<see cref="AdaptivePlanner"/> with chunk and packing limit
/// <see cref="PlanViews.BlockTokens"/>), which on the host is one greedy pass over the non-empty nodes in pre-order: a
/// node longer than the limit is chunked alone; a shorter one joins the block before it while the block stays within
/// the limit and the cost model prefers one item to two. The pass's state within a block depends only on where the
/// block started, so every pre-order position computes, as if a block started there, the position where the next block
/// would start (<see cref="BlockEnds"/>); the real block starts are the chain from position 0, marked by pointer jumping
/// (<see cref="Reach"/>, O(log n) rounds). <see cref="GroupingKernels.NodeGroupCounts"/> then gives the chain's
/// positions their groups (a long node its chunks, a packed block one) and DeFT-Node's emission writes them. Phases of
/// <see cref="PlanKernel"/>, one index per call; each pair of arrays is read in one half and written in the other.
/// </summary>
internal static class AdaptiveKernels
{
    /// <summary>
    /// Nodes whose packing inputs <see cref="PlanKernel"/> stages in shared memory for <see cref="BlockEnds"/> (3 ints
    /// each): a run of single-token nodes (a Medusa token tree) makes every position loop over up to BlockTokens of its
    /// successors, which from global memory cost ~1 µs per node on the H200's one busy multiprocessor.
    /// </summary>
    public const int SharedNodes = 2048;

    /// <summary>The first ordered query that sees the first token of the node at pre-order <paramref name="i"/> (the node's lowest viewer).</summary>
    public static int LowestViewer(int i, PlanViews v) => LayoutKernels.FirstViewer(i, 0, v);

    /// <summary>
    /// One pre-order position, or the one past the last (its own successor): pair 0 of <see cref="PlanViews.AdaptiveNext"/>
    /// gets the position where the next block starts if one starts here; pair 0 of <see cref="PlanViews.AdaptiveReach"/>
    /// marks position 0, pair 1 is cleared. A block of short nodes is packed as the host packs it (a loop over the nodes it
    /// takes, at most BlockTokens of them; the block's cost carried from one node to the next); an empty or long node is
    /// followed by the next position. <paramref name="keep"/>, <paramref name="lo"/> and <paramref name="hi"/> are by
    /// pre-order the kept tokens, the lowest viewer (<see cref="LowestViewer"/>) and the subtree's query end, in shared
    /// or global memory.
    /// </summary>
    public static void BlockEnds(int i, ArrayView<int> keep, ArrayView<int> lo, ArrayView<int> hi, PlanViews v)
    {
        int n = v.LiveNodes, stride = n + 1;
        v.AdaptiveReach[i] = i == 0 ? 1 : 0;
        v.AdaptiveReach[stride + i] = 0;
        if (i == n)
        {
            v.AdaptiveNext[i] = n;
            return;
        }
        int length = keep[i];
        int next = i + 1;
        if (length > 0 && length <= v.BlockTokens)
        {
            int blockLo = lo[i], blockHi = hi[i];
            double cost = Cost(length, blockHi - blockLo, v);
            for (; next < n; next++)
            {
                int more = keep[next];
                if (more == 0) continue;
                if (more > v.BlockTokens || length + more > v.BlockTokens) break;
                int moreLo = lo[next], moreHi = hi[next];
                int mergedLo = Math.Min(blockLo, moreLo), mergedHi = Math.Max(blockHi, moreHi);
                double together = Cost(length + more, mergedHi - mergedLo, v);
                double apart = RoundedDouble.Add(cost, Cost(more, moreHi - moreLo, v));
                if (!(together <= apart)) break;
                (length, blockLo, blockHi, cost) = (length + more, mergedLo, mergedHi, together);
            }
        }
        v.AdaptiveNext[i] = next;
    }

    /// <summary>Rounds of <see cref="Reach"/> until every block start (at most one per live node from position 0) is marked.</summary>
    public static int Rounds(PlanViews v)
    {
        int rounds = 0;
        while ((1L << rounds) < v.LiveNodes) rounds++;
        return rounds;
    }

    /// <summary>
    /// One position, one round of pointer jumping from pair <paramref name="from"/> to the other. Before round r the
    /// marks are the chain's first 2^r positions and the links jump 2^r blocks; a marked position marks itself and the
    /// position its link reaches (only marks are written, so the other pair, which holds an earlier subset, needs no
    /// clearing), and every link doubles.
    /// </summary>
    public static void Reach(int i, PlanViews v, int from)
    {
        int stride = v.LiveNodes + 1;
        int input = from * stride, output = (1 - from) * stride;
        int next = v.AdaptiveNext[input + i];
        if (v.AdaptiveReach[input + i] != 0)
        {
            v.AdaptiveReach[output + i] = 1;
            v.AdaptiveReach[output + next] = 1;
        }
        v.AdaptiveNext[output + i] = v.AdaptiveNext[input + next];
    }

    /// <summary>1 when a block starts at pre-order position <paramref name="i"/> (after <see cref="Rounds"/> rounds of <see cref="Reach"/>).</summary>
    public static bool StartsBlock(int i, PlanViews v) => v.AdaptiveReach[(Rounds(v) & 1) * (v.LiveNodes + 1) + i] != 0;

    // The host's PlanCostModel.Cost, rounded as the host rounds it.
    private static double Cost(int tokens, int queries, PlanViews v) =>
        PlanCostModel.Cost<DeviceArithmetic>(tokens, queries, v.KvBytesPerToken, v.PartialBytesPerQuery, v.BytesPerPair, v.QueriesPerTile);
}
