using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The tree split and KV-guided grouping on the device, as <see cref="FlattenPlanner"/>, <see cref="NodePlanner"/> and
/// the host's plan builder do it: groups (contiguous flat-token ranges), each group's query range cut into chunks of at
/// most <see cref="PlanViews.MaxQueries"/> (the candidate items), each candidate trimmed to the queries that see one of
/// its tokens (<see cref="ViewerKernels"/>), the empty ones dropped. Query ranges are found node by node, not token by
/// token, so nothing here waits for the flat tokens. Phases of <see cref="PlanKernel"/>, one index per call, with exclusive
/// scans between them. No shared memory.
/// </summary>
internal static class GroupingKernels
{
    /// <summary>DeFT-Flatten's block count: the fewest blocks of at most <see cref="PlanViews.BlockTokens"/> (one for no token).</summary>
    public static int FlattenBlocks(PlanViews v) =>
        (int)Math.Max(1L, ((long)v.FlatBegin[v.LiveNodes] + v.BlockTokens - 1) / v.BlockTokens);

    /// <summary>DeFT-Flatten. One boundary of <see cref="FlattenBlocks"/> + 1, at ⌊b·n / blocks⌋ as on the host.</summary>
    public static void FlattenGroups(int b, PlanViews v)
    {
        long n = v.FlatBegin[v.LiveNodes];
        int blocks = FlattenBlocks(v);
        if (b == 0) v.Header[PlanHeader.Groups] = blocks;
        v.GroupBegin[b] = (int)(b * n / blocks);
    }

    /// <summary>
    /// DeFT-Node, step 1. One pre-order position, or the one past the last (0): its node's chunks. DeFT-Adaptive: the
    /// same at a block start (<see cref="AdaptiveKernels.StartsBlock"/>: a long node's chunks, a packed block's one
    /// group), 0 elsewhere.
    /// </summary>
    public static void NodeGroupCounts(int i, PlanViews v) =>
        v.NodeGroups[i] = i == v.LiveNodes || (v.Method == (int)PlanMethod.Adaptive && !AdaptiveKernels.StartsBlock(i, v)) ? 0
            : (int)(((long)v.Keep[i] + v.BlockTokens - 1) / v.BlockTokens);

    /// <summary>
    /// DeFT-Node, step 2. One pre-order position: the boundaries of its node's chunks (a loop over them): of
    /// BlockTokens each, the last shorter (Node), or equal (Adaptive, at begin + ⌊j·length / chunks⌋ as on the host); a
    /// packed block's one group begins at its first node. The one past the last: the final boundary and the group count.
    /// </summary>
    public static void NodeGroupBegins(int i, PlanViews v)
    {
        int groups = v.NodeGroupBase[v.LiveNodes];
        if (i == v.LiveNodes)
        {
            v.Header[PlanHeader.Groups] = groups;
            v.GroupBegin[groups] = v.FlatBegin[v.LiveNodes];
            return;
        }
        int begin = v.FlatBegin[i];
        int first = v.NodeGroupBase[i], chunks = v.NodeGroups[i];
        bool equal = v.Method == (int)PlanMethod.Adaptive;
        for (int j = 0; j < chunks; j++)
            v.GroupBegin[first + j] = (int)(begin + (equal ? (long)j * v.Keep[i] / chunks : (long)j * v.BlockTokens));
    }

    /// <summary>
    /// One candidate, or the one past the last. A candidate's queries are its whole window when a node of its group covers
    /// the window (<see cref="PlanViews.CoverPrefix"/>), else what <see cref="ViewerKernels.CutWindows"/> found in it
    /// (none: the candidate is dropped). A kept candidate adds its tokens and token·query pairs to the header, and its
    /// tokens to the narrow tokens when it has at most <see cref="PlanViews.NarrowRows"/> rows (integer atomics:
    /// deterministic). The one past the last writes zeros, so the scans' totals are the plan's.
    /// </summary>
    public static void Candidates(int c, int groups, PlanViews v)
    {
        int first = int.MaxValue, end = int.MinValue, g = 0, tokenBegin = 0, tokenEnd = 0;
        if (c < v.ChunkBase[groups])
        {
            g = v.CandidateGroup[c];
            (first, end) = v.CoverPrefix[c + 1] > 0 ? ViewerKernels.Window(g, c - v.ChunkBase[g], v) : (v.WindowFirst[c], v.WindowEnd[c]);
            tokenBegin = v.GroupBegin[g];
            tokenEnd = v.GroupBegin[g + 1];
        }
        bool kept = first < end;
        int queries = kept ? end - first : 0;
        v.CandidateFirst[c] = first;
        v.CandidateEnd[c] = end;
        v.Kept[c] = kept ? 1 : 0;
        v.CandidateQueries[c] = queries;
        if (!kept) return;
        long tokens = tokenEnd - tokenBegin;
        Atomic.Add(ref v.Header[PlanHeader.ItemTokens], tokens);
        Atomic.Add(ref v.Header[PlanHeader.ItemPairs], tokens * queries);
        if (queries * v.GroupSize <= v.NarrowRows) Atomic.Add(ref v.Header[PlanHeader.NarrowTokens], tokens);
    }

    /// <summary>
    /// One candidate, or the one past the last (zeros), once every candidate is counted: its tasks at both row widths;
    /// when the plan splits off narrow tasks (<see cref="NarrowTasks.Split"/>), a candidate of at most
    /// <see cref="PlanViews.NarrowRows"/> rows is one narrow task instead.
    /// </summary>
    public static void TaskCounts(int c, PlanViews v)
    {
        bool split = NarrowTasks.Split(v.Header[PlanHeader.NarrowTokens], v.Header[PlanHeader.ItemTokens], v.KvHeads, v.NarrowMinTokenHeads);
        int rows = v.CandidateQueries[c] * v.GroupSize;
        bool narrow = split && rows > 0 && rows <= v.NarrowRows;
        v.CandidateTasks[c] = narrow ? 0 : (rows + v.RowsPerTask - 1) / v.RowsPerTask;
        v.CandidateNarrowTasks[c] = narrow ? 1 : 0;
        v.CandidatePackedTasks[c] = (rows + v.PackedRowsPerTask - 1) / v.PackedRowsPerTask;
    }

    /// <summary>One thread: copies the scans' totals into the header the host reads.</summary>
    public static void Summarize(PlanViews v)
    {
        int candidates = v.ChunkBase[(int)v.Header[PlanHeader.Groups]];
        v.Header[PlanHeader.FlatTokens] = v.FlatBegin[v.LiveNodes];
        v.Header[PlanHeader.Candidates] = candidates;
        v.Header[PlanHeader.Partials] = v.PartialBase[candidates];
        v.Header[PlanHeader.Tasks] = v.TaskBase[candidates];
        v.Header[PlanHeader.NarrowTasks] = v.NarrowTaskBase[candidates];
        v.Header[PlanHeader.PackedTasks] = v.PackedTaskBase[candidates];
        v.Header[PlanHeader.PartialListLength] = v.PartialOffsets[v.QueryCount];
    }
}
