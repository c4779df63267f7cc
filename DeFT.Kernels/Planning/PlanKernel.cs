using System.Runtime.CompilerServices;
using DeFT.Core.Planning;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The planner's layout, split, grouping and summary in one launch of one group: the sizes are a tree's nodes, a step's
/// queries and the plan's groups and candidates (thousands), too small to fill a GPU but many dependent steps, which as
/// separate launches cost more than their work. Each phase is a group-stride loop over its indices that calls one
/// per-index function of <see cref="TourKernels"/>, <see cref="LayoutKernels"/>, <see cref="GroupingKernels"/> or
/// <see cref="PartialListKernels"/>, followed by a group barrier, which makes the group's global writes visible to the
/// group; independent loops share a barrier. The per-token work (<see cref="LayoutKernels.FlatTokens"/>) and the fill
/// (<see cref="ItemKernels.Fill"/>) are ordinary grid launches.
/// </summary>
internal static class PlanKernel
{
    /// <summary>
    /// Grid: one group of any size (a multiple of the warp size; on the CPU accelerator at most 64, the limit of
    /// ILGPU.Algorithms' group scan there); each thread owns the indices congruent to its own modulo the group size in
    /// every phase, and a contiguous chunk of every scanned array. Shared memory: only that of ILGPU.Algorithms' group
    /// scan (one int per warp on CUDA, per thread on the CPU accelerator), and for Adaptive three arrays of
    /// <see cref="AdaptiveKernels.SharedNodes"/> ints (24 KB) for its packing loops. Writes the plan's totals to
    /// <see cref="PlanViews.Header"/>, zeroed here first.
    /// </summary>
    public static void Plan(PlanViews v)
    {
        int tid = Group.IdxX, size = Group.DimX;
        var sharedKeep = SharedMemory.Allocate<int>(AdaptiveKernels.SharedNodes);
        var sharedLo = SharedMemory.Allocate<int>(AdaptiveKernels.SharedNodes);
        var sharedHi = SharedMemory.Allocate<int>(AdaptiveKernels.SharedNodes);
        int n = v.LiveNodes, rows = v.NodeBound, q = v.QueryCount;

        // Pre-order and subtree sizes (Euler tour, list ranking).
        for (int i = tid; i < PlanHeader.Length; i += size) v.Header[i] = 0;
        for (int i = tid; i <= n; i += size) v.OwnCount[i] = 0;
        for (int row = tid; row < rows; row += size) TourKernels.LinkEdges(row, v);
        Group.Barrier();
        int rounds = TourKernels.Rounds(v);
        for (int r = 0; r < rounds; r++)
        {
            for (int e = tid; e < 2 * rows; e += size) TourKernels.Jump(e, v, r % 2);
            Group.Barrier();
        }
        for (int row = tid; row < rows; row += size) TourKernels.Positions(row, v, rounds % 2);
        Group.Barrier();

        // The query order and each node's own queries, the kept tokens and where each node's flat tokens begin.
        for (int j = tid; j < q; j += size) LayoutKernels.CountQuery(j, v);
        Group.Barrier();
        ExclusiveScan(v.OwnCount, v.OwnBegin, n + 1);
        for (int j = tid; j < q; j += size) LayoutKernels.PlaceQuery(j, v);
        Group.Barrier();
        for (int j = tid; j < q; j += size) LayoutKernels.OrderQuery(j, v);
        Group.Barrier();
        for (int i = tid; i <= n; i += size) LayoutKernels.KeepCounts(i, v);
        Group.Barrier();
        ExclusiveScan(v.Keep, v.FlatBegin, n + 1);

        // The split into groups.
        if (v.Method == (int)PlanMethod.Flatten)
        {
            int blocks = GroupingKernels.FlattenBlocks(v);
            for (int b = tid; b <= blocks; b += size) GroupingKernels.FlattenGroups(b, v);
        }
        else
        {
            if (v.Method == (int)PlanMethod.Adaptive)
            {
                // The packing loops' inputs, in shared memory when the tree fits (else the viewers go to global memory).
                bool staged = n <= AdaptiveKernels.SharedNodes;
                var keep = staged ? sharedKeep : v.Keep;
                var lo = staged ? sharedLo : v.NodeLo;
                var hi = staged ? sharedHi : v.SubtreeEnd;
                for (int i = tid; i < n; i += size)
                {
                    lo[i] = AdaptiveKernels.LowestViewer(i, v);
                    if (!staged) continue;
                    keep[i] = v.Keep[i];
                    hi[i] = v.SubtreeEnd[i];
                }
                Group.Barrier();
                for (int i = tid; i <= n; i += size) AdaptiveKernels.BlockEnds(i, keep, lo, hi, v);
                Group.Barrier();
                int jumps = AdaptiveKernels.Rounds(v);
                for (int r = 0; r < jumps; r++)
                {
                    for (int i = tid; i <= n; i += size) AdaptiveKernels.Reach(i, v, r & 1);
                    Group.Barrier();
                }
            }
            for (int i = tid; i <= n; i += size) GroupingKernels.NodeGroupCounts(i, v);
            Group.Barrier();
            ExclusiveScan(v.NodeGroups, v.NodeGroupBase, n + 1);
            for (int i = tid; i <= n; i += size) GroupingKernels.NodeGroupBegins(i, v);
        }
        Group.Barrier();

        // Each group's nodes and each node's groups; the groups' viewers, their windows (the candidate items) and what
        // each window keeps.
        int groups = (int)v.Header[PlanHeader.Groups];
        for (int g = tid; g <= groups; g += size) ViewerKernels.GroupNodes(g, groups, v);
        for (int i = tid; i < n; i += size) PartialListKernels.NodeGroups(i, groups, v);
        Group.Barrier();
        ExclusiveScan(v.GroupPairs, v.GroupPairBase, groups + 1);
        int pairs = v.GroupPairBase[groups];
        for (int p = tid; p < pairs; p += size) ViewerKernels.FoldPair(p, groups, v);
        Group.Barrier();
        for (int g = tid; g <= groups; g += size) ViewerKernels.GroupChunks(g, groups, v);
        Group.Barrier();
        ExclusiveScan(v.GroupChunks, v.ChunkBase, groups + 1);
        int candidates = v.ChunkBase[groups];
        for (int c = tid; c <= candidates; c += size) ViewerKernels.ResetCandidate(c, groups, candidates, v);
        Group.Barrier();
        for (int p = tid; p < pairs; p += size) ViewerKernels.CutWindows(p, groups, v);
        Group.Barrier();
        ExclusiveScan(v.CandidateCover, v.CoverPrefix, candidates + 1);
        for (int c = tid; c <= candidates; c += size) GroupingKernels.Candidates(c, groups, v);
        Group.Barrier();
        for (int c = tid; c <= candidates; c += size) GroupingKernels.TaskCounts(c, v);
        Group.Barrier();

        // The partial-slot CSR and the tasks' numbering.
        ExclusiveScan(v.CandidateQueries, v.PartialBase, candidates + 1);
        ExclusiveScan(v.CandidateTasks, v.TaskBase, candidates + 1);
        ExclusiveScan(v.CandidateNarrowTasks, v.NarrowTaskBase, candidates + 1);
        ExclusiveScan(v.CandidatePackedTasks, v.PackedTaskBase, candidates + 1);
        for (int p = tid; p <= q; p += size) PartialListKernels.Counts(p, v);
        Group.Barrier();
        ExclusiveScan(v.PartialCounts, v.PartialOffsets, q + 1);
        if (tid == 0) GroupingKernels.Summarize(v);
    }

    /// <summary>
    /// <paramref name="output"/>[k] = Σ <paramref name="input"/>[0..k) for k &lt; <paramref name="length"/>, by the
    /// whole group: each thread sums its contiguous chunk, ILGPU.Algorithms' group scan offsets the chunks, each thread
    /// writes its chunk. Ends with a barrier, so the result is the group's to read. Inlined, as ILGPU.Algorithms inlines
    /// its own helpers that allocate shared memory: each call site gets its own.
    /// <para>
    /// <paramref name="input"/> and <paramref name="output"/> must not overlap. ILGPU 1.5.3 places the load of
    /// input[k] next to its use, below the store to output[k] (its code placement moves loads past stores; the CPU
    /// accelerator runs the C# as written). In place, every element of a chunk after its first then reads back the
    /// prefix just written: on CUDA a scan longer than the group (a chunk of 2 or more) doubled the prefixes, and the
    /// query order built from them wrote far past its buffers (trees of 1024 nodes or more; see KernelPtxTests in the tests).
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExclusiveScan(ArrayView<int> input, ArrayView<int> output, int length)
    {
        int chunk = (length + Group.DimX - 1) / Group.DimX;
        int begin = Math.Min(length, Group.IdxX * chunk), end = Math.Min(length, begin + chunk);
        int sum = 0;
        for (int k = begin; k < end; k++) sum += input[k];
        int prefix = GroupExtensions.ExclusiveScan<int, AddInt32>(sum);
        for (int k = begin; k < end; k++)
        {
            int value = input[k];
            output[k] = prefix;
            prefix += value;
        }
        Group.Barrier();
    }
}
