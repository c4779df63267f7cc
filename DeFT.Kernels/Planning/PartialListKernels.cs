namespace DeFT.Kernels.Planning;

/// <summary>
/// The per-query CSR of partial slots. A query sees its own node's first visible tokens and its ancestors' kept tokens:
/// flat-token ranges that descend as it walks up. Every group holding one of those tokens has exactly one item whose
/// (trimmed) query range contains the query, so the query's partial slots are found group by group without looking at
/// any other query. Ranges of neighbouring ancestors can share a Flatten block; consecutive repeats are skipped. Each
/// node's first and last groups are found once (<see cref="NodeGroups"/>), so a walk searches only on the query's own
/// node. The walk is iterative (depth ≥ 1000 is fine) and runs twice: once to count, once to write (from the back, as it finds the
/// slots in descending order): <see cref="Counts"/> is a phase of <see cref="PlanKernel"/>, <see cref="Fill"/> part of
/// <see cref="ItemKernels.Fill"/>. No shared memory.
/// </summary>
internal static class PartialListKernels
{
    /// <summary>One ordered query, or the one past the last (which writes the 0 the scan turns into the total).</summary>
    public static void Counts(int p, PlanViews v)
    {
        if (p == v.QueryCount)
        {
            v.PartialCounts[p] = 0;
            return;
        }
        v.PartialCounts[v.QueryOrder[p]] = Walk(p, v, write: false);
    }

    /// <summary>One ordered query: writes its partial slots, ascending, at its CSR offset.</summary>
    public static void Fill(int p, PlanViews v) => Walk(p, v, write: true);

    /// <summary>
    /// One pre-order position: the groups holding the node's first and last kept tokens, so the walks find an
    /// ancestor's groups without searching.
    /// </summary>
    public static void NodeGroups(int i, int groups, PlanViews v)
    {
        v.NodeFirstGroup[i] = DeviceSearch.UpperBound(v.GroupBegin, groups, v.FlatBegin[i]) - 1;
        v.NodeLastGroup[i] = DeviceSearch.UpperBound(v.GroupBegin, groups, v.FlatBegin[i + 1] - 1) - 1;
    }

    private static int Walk(int p, PlanViews v, bool write)
    {
        long key = v.QueryKey[p];
        int pre = (int)(key >> 32);
        int visible = (int)(key & uint.MaxValue);
        int last = write ? v.PartialOffsets[v.QueryOrder[p] + 1] : 0;
        int found = 0, previous = -1;
        int low = v.NodeFirstGroup[pre];
        int high = visible > 0 ? DeviceSearch.UpperBound(v.GroupBegin, (int)v.Header[PlanHeader.Groups], v.FlatBegin[pre] + visible - 1) - 1 : -1;
        while (true)
        {
            if (high >= low)
            {
                if (high == previous) high--; // the deeper node's first group, already listed
                if (write)
                    for (int g = high; g >= low; g--)
                    {
                        int c = v.ChunkBase[g] + (p - v.GroupLo[g]) / v.MaxQueries;
                        v.PartialSlots[last - 1 - found++] = v.PartialBase[c] + p - v.CandidateFirst[c];
                    }
                else found += Math.Max(0, high - low + 1);
                previous = low;
            }
            pre = v.ParentPre[pre];
            if (pre < 0) return found;
            low = v.NodeFirstGroup[pre];
            high = v.FlatBegin[pre + 1] > v.FlatBegin[pre] ? v.NodeLastGroup[pre] : -1;
        }
    }
}
