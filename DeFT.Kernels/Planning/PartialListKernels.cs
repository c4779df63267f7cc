namespace DeFT.Kernels.Planning;

/// <summary>
/// The per-query CSR of partial slots. A query sees its own node's first visible tokens and its ancestors' kept tokens:
/// flat-token ranges that descend as it walks up. Every group holding one of those tokens has exactly one item whose
/// (trimmed) query range contains the query, so the query's partial slots are found group by group without looking at
/// any other query. Ranges of neighbouring ancestors can share a Flatten block; consecutive repeats are skipped. The walk
/// is iterative (depth ≥ 1000 is fine) and runs twice: once to count, once to write (from the back, as it finds the
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

    private static int Walk(int p, PlanViews v, bool write)
    {
        long key = v.QueryKey[p];
        int pre = (int)(key >> 32);
        int begin = v.FlatBegin[pre];
        int end = begin + (int)(key & uint.MaxValue);
        int groups = (int)v.Header[PlanHeader.Groups];
        int last = write ? v.PartialOffsets[v.QueryOrder[p] + 1] : 0;
        int found = 0, previous = -1;
        while (true)
        {
            if (end > begin)
            {
                int low = DeviceSearch.UpperBound(v.GroupBegin, groups, begin) - 1;
                for (int g = DeviceSearch.UpperBound(v.GroupBegin, groups, end - 1) - 1; g >= low; g--)
                {
                    if (g == previous) continue;
                    previous = g;
                    if (write)
                    {
                        int c = v.ChunkBase[g] + (p - v.GroupLo[g]) / v.MaxQueries;
                        v.PartialSlots[last - 1 - found] = v.PartialBase[c] + p - v.CandidateFirst[c];
                    }
                    found++;
                }
            }
            int parent = v.Tree.Parent[v.PreNode[pre]];
            if (parent < 0) return found;
            pre = v.NodePre[parent];
            begin = v.FlatBegin[pre];
            end = v.FlatBegin[pre + 1];
        }
    }
}
