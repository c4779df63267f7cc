using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The tree split and KV-guided grouping on the device, as <see cref="DeFT.Core.Planning.FlattenPlanner"/>,
/// <see cref="DeFT.Core.Planning.NodePlanner"/> and the host's plan builder do it: groups (contiguous flat-token ranges),
/// each group's query range cut into chunks of at most <see cref="PlanViews.MaxQueries"/> (the candidate items), each
/// candidate trimmed to the queries that see one of its tokens, the empty ones dropped. Totals come from exclusive scans
/// between the launches. No kernel here uses shared memory.
/// </summary>
internal static class GroupingKernels
{
    /// <summary>
    /// DeFT-Flatten. Grid: one thread per possible group boundary (group bound + 1). The flat tokens are cut into the
    /// fewest blocks of at most <see cref="PlanViews.BlockTokens"/>, boundaries at ⌊b·n / blocks⌋ as on the host.
    /// </summary>
    public static void FlattenGroups(Index1D b, PlanViews v)
    {
        long n = v.FlatBegin[v.LiveNodes];
        long blocks = Math.Max(1L, (n + v.BlockTokens - 1) / v.BlockTokens);
        int block = b;
        if (block == 0) v.Header[PlanHeader.Groups] = blocks;
        if (block <= blocks) v.GroupBegin[block] = (int)(block * n / blocks);
    }

    /// <summary>DeFT-Node, step 1. Grid: one thread per pre-order position and one more (0); each counts its node's chunks.</summary>
    public static void NodeGroupCounts(Index1D i, PlanViews v) =>
        v.NodeGroups[i] = i == v.LiveNodes ? 0 : (int)(((long)v.Keep[i] + v.BlockTokens - 1) / v.BlockTokens);

    /// <summary>
    /// DeFT-Node, step 2. Grid: one thread per pre-order position and one more; each writes the boundaries of its node's
    /// chunks (a loop over them), the extra thread the final boundary and the group count.
    /// </summary>
    public static void NodeGroupBegins(Index1D i, PlanViews v)
    {
        int groups = v.NodeGroupBase[v.LiveNodes];
        if (i == v.LiveNodes)
        {
            v.Header[PlanHeader.Groups] = groups;
            v.GroupBegin[groups] = v.FlatBegin[v.LiveNodes];
            return;
        }
        int begin = v.FlatBegin[i];
        int first = v.NodeGroupBase[i];
        for (int j = 0; j < v.NodeGroups[i]; j++) v.GroupBegin[first + j] = (int)(begin + (long)j * v.BlockTokens);
    }

    /// <summary>
    /// Grid: one thread per possible group and one more. Each group's query range is the union of its tokens' masks (a
    /// loop over its tokens); its candidates are that range in chunks of at most <see cref="PlanViews.MaxQueries"/>.
    /// Threads past the group count write 0 chunks, so the scan's total is the candidate count.
    /// </summary>
    public static void GroupBounds(Index1D g, PlanViews v)
    {
        if (g >= v.Header[PlanHeader.Groups])
        {
            v.GroupChunks[g] = 0;
            return;
        }
        int lo = int.MaxValue, hi = int.MinValue;
        for (int t = v.GroupBegin[g]; t < v.GroupBegin[g + 1]; t++)
        {
            var mask = v.TokenVisibility[t];
            lo = Math.Min(lo, mask.Begin);
            hi = Math.Max(hi, mask.End);
        }
        v.GroupLo[g] = lo;
        v.GroupHi[g] = hi;
        v.GroupChunks[g] = (int)(((long)hi - lo + v.MaxQueries - 1) / v.MaxQueries);
    }

    /// <summary>
    /// Grid: one thread per possible candidate and one more. A candidate finds its group by binary search over
    /// <see cref="PlanViews.ChunkBase"/>, then trims its query chunk to the queries some token of the group shows it (a loop
    /// over the group's tokens, as the host's difference array does), and counts its tasks at both row widths. A kept
    /// candidate adds its tokens and token·query pairs to the header (integer atomics: deterministic). Threads past the
    /// candidate count write zeros, so the scans' totals are the plan's.
    /// </summary>
    public static void Candidates(Index1D c, PlanViews v)
    {
        int first = int.MaxValue, end = int.MinValue, g = 0, tokenBegin = 0, tokenEnd = 0;
        if (c < v.ChunkBase[v.GroupBound])
        {
            g = DeviceSearch.UpperBound(v.ChunkBase, v.GroupBound + 1, c) - 1;
            long chunkBegin = v.GroupLo[g] + (long)((int)c - v.ChunkBase[g]) * v.MaxQueries;
            int queryBegin = (int)chunkBegin;
            int queryEnd = (int)Math.Min(v.GroupHi[g], chunkBegin + v.MaxQueries);
            tokenBegin = v.GroupBegin[g];
            tokenEnd = v.GroupBegin[g + 1];
            for (int t = tokenBegin; t < tokenEnd; t++)
            {
                var mask = v.TokenVisibility[t];
                int a = Math.Max(mask.Begin, queryBegin), b = Math.Min(mask.End, queryEnd);
                if (a >= b) continue;
                first = Math.Min(first, a);
                end = Math.Max(end, b);
            }
        }
        bool kept = first < end;
        int queries = kept ? end - first : 0;
        v.CandidateGroup[c] = g;
        v.CandidateFirst[c] = first;
        v.CandidateEnd[c] = end;
        v.Kept[c] = kept ? 1 : 0;
        v.CandidateQueries[c] = queries;
        v.CandidateTasks[c] = (queries * v.GroupSize + v.RowsPerTask - 1) / v.RowsPerTask;
        v.CandidatePackedTasks[c] = (queries * v.GroupSize + v.PackedRowsPerTask - 1) / v.PackedRowsPerTask;
        if (!kept) return;
        long tokens = tokenEnd - tokenBegin;
        Atomic.Add(ref v.Header[PlanHeader.ItemTokens], tokens);
        Atomic.Add(ref v.Header[PlanHeader.ItemPairs], tokens * queries);
    }

    /// <summary>Grid: one thread; copies the scans' totals into the header the host reads.</summary>
    public static void Summarize(Index1D i, PlanViews v)
    {
        v.Header[PlanHeader.FlatTokens] = v.FlatBegin[v.LiveNodes];
        v.Header[PlanHeader.Items] = v.ItemIndex[v.CandidateBound];
        v.Header[PlanHeader.Partials] = v.PartialBase[v.CandidateBound];
        v.Header[PlanHeader.Tasks] = v.TaskBase[v.CandidateBound];
        v.Header[PlanHeader.PackedTasks] = v.PackedTaskBase[v.CandidateBound];
        v.Header[PlanHeader.PartialListLength] = v.PartialOffsets[v.QueryCount];
    }
}
