using DeFT.Core.Trees;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The planner's intermediate device arrays (those of <see cref="PlanViews"/> that are not the tree's or the device plan's),
/// sized per step by <see cref="Reserve"/>; they grow like a <see cref="DevicePlan"/>'s buffers and are reused after that.
/// </summary>
internal sealed class PlanScratch : IDisposable
{
    private readonly List<IDisposable> all = new();
    private readonly DeviceBuffer<TreeQuery> queries;
    private readonly DeviceBuffer<int> tourNext, tourRank, nodePre, queryArrival, queryBucket;
    private readonly DeviceBuffer<int> preNode, preSize, parentPre, nodeLo, ownCount, ownBegin, subtreeEnd, keep, flatBegin, nodeGroups, nodeGroupBase;
    private readonly DeviceBuffer<int> groupFirstNode, groupPairs, groupPairBase, pairLo, pairHi, nodeFirstGroup, nodeLastGroup;
    private readonly DeviceBuffer<int> windowFirst, windowEnd, candidateCover, coverPrefix;
    private readonly DeviceBuffer<int> adaptiveNext, adaptiveReach;
    private readonly DeviceBuffer<long> queryKey, header;
    private readonly DeviceBuffer<int> groupBegin, groupLo, groupHi, groupChunks, chunkBase;
    private readonly DeviceBuffer<int> candidateGroup, candidateFirst, candidateEnd, kept, candidateQueries, partialBase;
    private readonly DeviceBuffer<int> candidateTasks, taskBase, candidateNarrowTasks, narrowTaskBase, candidatePackedTasks, packedTaskBase, partialCounts;

    public PlanScratch(Accelerator accelerator)
    {
        DeviceBuffer<T> New<T>(string what) where T : unmanaged
        {
            var b = new DeviceBuffer<T>(accelerator, $"The device planner's {what}");
            all.Add(b);
            return b;
        }
        queries = New<TreeQuery>("queries");
        tourNext = New<int>("tour links");
        tourRank = New<int>("tour ranks");
        nodePre = New<int>("pre-order positions");
        queryArrival = New<int>("query arrival ranks");
        queryBucket = New<int>("query buckets");
        preNode = New<int>("pre-order nodes");
        preSize = New<int>("subtree sizes");
        parentPre = New<int>("parent positions");
        nodeLo = New<int>("lowest viewers");
        ownCount = New<int>("own query counts");
        ownBegin = New<int>("own query ranges");
        subtreeEnd = New<int>("subtree query ends");
        keep = New<int>("kept tokens");
        flatBegin = New<int>("flat node starts");
        nodeGroups = New<int>("node chunk counts");
        nodeGroupBase = New<int>("node chunk starts");
        adaptiveNext = New<int>("adaptive block links");
        adaptiveReach = New<int>("adaptive block starts");
        queryKey = New<long>("query keys");
        header = New<long>("header");
        groupBegin = New<int>("group starts");
        groupLo = New<int>("group query starts");
        groupHi = New<int>("group query ends");
        groupChunks = New<int>("group chunk counts");
        chunkBase = New<int>("group candidate starts");
        groupFirstNode = New<int>("group first nodes");
        groupPairs = New<int>("group node counts");
        groupPairBase = New<int>("group pair starts");
        pairLo = New<int>("pair query starts");
        pairHi = New<int>("pair query ends");
        nodeFirstGroup = New<int>("node first groups");
        nodeLastGroup = New<int>("node last groups");
        windowFirst = New<int>("window query starts");
        windowEnd = New<int>("window query ends");
        candidateCover = New<int>("window cover marks");
        coverPrefix = New<int>("window cover prefixes");
        candidateGroup = New<int>("candidate groups");
        candidateFirst = New<int>("candidate query starts");
        candidateEnd = New<int>("candidate query ends");
        kept = New<int>("kept candidates");
        candidateQueries = New<int>("candidate query counts");
        partialBase = New<int>("partial bases");
        candidateTasks = New<int>("candidate task counts");
        taskBase = New<int>("task bases");
        candidateNarrowTasks = New<int>("candidate narrow tasks");
        narrowTaskBase = New<int>("narrow task bases");
        candidatePackedTasks = New<int>("candidate packed task counts");
        packedTaskBase = New<int>("packed task bases");
        partialCounts = New<int>("partial counts");
    }

    /// <summary>The header the host reads.</summary>
    public DeviceBuffer<long> Header => header;

    /// <summary>The queries' staging buffer.</summary>
    public DeviceBuffer<TreeQuery> Queries => queries;

    /// <summary>Sizes every array for <paramref name="nodeBound"/> node rows, <paramref name="liveNodes"/>, <paramref name="queryCount"/> and the group and candidate bounds.</summary>
    public void Reserve(int nodeBound, int liveNodes, int queryCount, int groupBound, int candidateBound)
    {
        nodePre.EnsureLength(nodeBound);
        EnsureLength(4L * nodeBound, tourNext, tourRank);
        EnsureLength(liveNodes, preNode, preSize, parentPre, nodeLo, subtreeEnd, nodeFirstGroup, nodeLastGroup);
        EnsureLength(liveNodes + 1L, ownCount, ownBegin, keep, flatBegin, nodeGroups, nodeGroupBase);
        EnsureLength(2L * (liveNodes + 1), adaptiveNext, adaptiveReach);
        EnsureLength(queryCount, queryArrival, queryBucket);
        queryKey.EnsureLength(queryCount);
        partialCounts.EnsureLength(queryCount + 1);
        header.EnsureLength(PlanHeader.Length);
        EnsureLength(groupBound + 1L, groupBegin, groupLo, groupHi, groupChunks, chunkBase, groupFirstNode, groupPairs, groupPairBase);
        // A group's nodes run from the one holding its first token to the one holding its last: neighbours share at most one.
        EnsureLength((long)groupBound + liveNodes, pairLo, pairHi);
        EnsureLength(candidateBound + 1L, windowFirst, windowEnd, candidateCover, coverPrefix, candidateGroup, candidateFirst, candidateEnd, kept, candidateQueries, partialBase,
            candidateTasks, taskBase, candidateNarrowTasks, narrowTaskBase, candidatePackedTasks, packedTaskBase);
    }

    // A span of buffers, so a decode step's Reserve allocates nothing once the buffers are large enough.
    private static void EnsureLength(long length, params ReadOnlySpan<DeviceBuffer<int>> buffers)
    {
        foreach (var buffer in buffers) buffer.EnsureLength(length);
    }

    /// <summary>The scratch arrays as views (the tree's, the device plan's and the scalars are the caller's to fill in).</summary>
    public PlanViews Views() => new()
    {
        Queries = queries.View,
        TourNext = tourNext.View, TourRank = tourRank.View,
        NodePre = nodePre.View, PreNode = preNode.View, PreSize = preSize.View, ParentPre = parentPre.View, NodeLo = nodeLo.View,
        QueryArrival = queryArrival.View, QueryBucket = queryBucket.View, QueryKey = queryKey.View, OwnCount = ownCount.View, OwnBegin = ownBegin.View, SubtreeEnd = subtreeEnd.View, Keep = keep.View, FlatBegin = flatBegin.View,
        NodeGroups = nodeGroups.View, NodeGroupBase = nodeGroupBase.View,
        GroupFirstNode = groupFirstNode.View, GroupPairs = groupPairs.View, GroupPairBase = groupPairBase.View, PairLo = pairLo.View, PairHi = pairHi.View,
        NodeFirstGroup = nodeFirstGroup.View, NodeLastGroup = nodeLastGroup.View,
        WindowFirst = windowFirst.View, WindowEnd = windowEnd.View, CandidateCover = candidateCover.View, CoverPrefix = coverPrefix.View,
        AdaptiveNext = adaptiveNext.View, AdaptiveReach = adaptiveReach.View,
        GroupBegin = groupBegin.View, GroupLo = groupLo.View, GroupHi = groupHi.View, GroupChunks = groupChunks.View, ChunkBase = chunkBase.View,
        CandidateGroup = candidateGroup.View, CandidateFirst = candidateFirst.View, CandidateEnd = candidateEnd.View,
        Kept = kept.View, CandidateQueries = candidateQueries.View, PartialBase = partialBase.View,
        CandidateTasks = candidateTasks.View, TaskBase = taskBase.View,
        CandidateNarrowTasks = candidateNarrowTasks.View, NarrowTaskBase = narrowTaskBase.View,
        CandidatePackedTasks = candidatePackedTasks.View, PackedTaskBase = packedTaskBase.View,
        PartialCounts = partialCounts.View, Header = header.View,
    };

    public void Dispose()
    {
        foreach (var b in all) b.Dispose();
    }
}
