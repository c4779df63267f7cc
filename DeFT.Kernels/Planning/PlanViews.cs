using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Kernels.Attention;
using ILGPU;

namespace DeFT.Kernels.Planning;

/// <summary>
/// Everything the planning kernels read and write, in the order the step fills it (see <see cref="DevicePlanner"/>).
/// Arrays "by pre-order" are indexed by a live node's depth-first position <c>i</c> in <c>[0, LiveNodes)</c>, with one
/// extra entry at <c>LiveNodes</c> where an exclusive scan leaves its total. Counts only the device knows (flat tokens,
/// groups, candidates) are read from those totals; the buffers are sized by bounds the host knows (the tree's tokens,
/// and groups and candidates bounded by them).
/// </summary>
internal struct PlanViews
{
    /// <summary>The decoding tree.</summary>
    public DeviceTreeViews Tree;
    /// <summary>The step's queries, in the caller's order, each naming its node's row.</summary>
    public ArrayView<TreeQuery> Queries;

    /// <summary>
    /// Two pairs of arrays over the Euler tour's edges (2·row going down, 2·row + 1 coming up), pair p at p·2·<see cref="NodeBound"/>:
    /// the next edge (-1: the end), and 1 for a down edge, 0 for an up edge; after list ranking, the down edges from it to the end.
    /// Pointer jumping reads one pair and writes the other.
    /// </summary>
    public ArrayView<int> TourNext;
    /// <summary>See <see cref="TourNext"/>.</summary>
    public ArrayView<int> TourRank;
    /// <summary>Per node row: its pre-order position.</summary>
    public ArrayView<int> NodePre;
    /// <summary>By pre-order: the node's row.</summary>
    public ArrayView<int> PreNode;
    /// <summary>By pre-order: live nodes in the subtree, the node included.</summary>
    public ArrayView<int> PreSize;

    /// <summary>Per caller query: its arrival rank among its node's queries (the counting sort's scatter position).</summary>
    public ArrayView<int> QueryArrival;
    /// <summary>Ordered positions, each node's range in arrival order: the caller query (the counting sort's buckets).</summary>
    public ArrayView<int> QueryBucket;
    /// <summary>Ordered position → (pre-order of the query's node) · 2³² + its visible tokens, ascending.</summary>
    public ArrayView<long> QueryKey;
    /// <summary>Ordered position → caller's query index (the device plan's buffer).</summary>
    public ArrayView<int> QueryOrder;
    /// <summary>By pre-order: the node's own queries (at <c>LiveNodes</c>: 0), counted with atomics; scanned into <see cref="OwnBegin"/>.</summary>
    public ArrayView<int> OwnCount;
    /// <summary>By pre-order: the first ordered query on the node (at <c>LiveNodes</c>: the query count).</summary>
    public ArrayView<int> OwnBegin;
    /// <summary>By pre-order: one past the last ordered query in the node's subtree.</summary>
    public ArrayView<int> SubtreeEnd;
    /// <summary>By pre-order: the parent's pre-order position (-1: a root).</summary>
    public ArrayView<int> ParentPre;
    /// <summary>By pre-order (Adaptive, trees too large for shared memory): the first ordered query that sees the node's first token.</summary>
    public ArrayView<int> NodeLo;
    /// <summary>By pre-order: tokens of the node some query sees (its first ones).</summary>
    public ArrayView<int> Keep;
    /// <summary>By pre-order: the node's first flat token (exclusive scan of <see cref="Keep"/>; at <c>LiveNodes</c>: the flat token count).</summary>
    public ArrayView<int> FlatBegin;
    /// <summary>Per flat token: its KV-cache slot (the device plan's buffer).</summary>
    public ArrayView<int> TokenSlots;
    /// <summary>Per flat token: the ordered queries that see it (the device plan's buffer).</summary>
    public ArrayView<QueryRange> TokenVisibility;

    /// <summary>By pre-order (Node): groups of the node, then their exclusive scan <see cref="NodeGroupBase"/>.</summary>
    public ArrayView<int> NodeGroups;
    /// <summary>By pre-order (Node): the node's first group.</summary>
    public ArrayView<int> NodeGroupBase;
    /// <summary>
    /// Two pairs over pre-order positions and the one past the last, pair p at p·(<see cref="LiveNodes"/> + 1) (Adaptive):
    /// where the next block starts if one starts here, then links 2^r blocks ahead (<see cref="AdaptiveKernels"/>).
    /// </summary>
    public ArrayView<int> AdaptiveNext;
    /// <summary>Two pairs as <see cref="AdaptiveNext"/> (Adaptive): 1 at the block starts found so far.</summary>
    public ArrayView<int> AdaptiveReach;
    /// <summary>Per group: its first flat token (at the group count: the flat token count).</summary>
    public ArrayView<int> GroupBegin;
    /// <summary>Per group: the smallest ordered query that sees one of its tokens.</summary>
    public ArrayView<int> GroupLo;
    /// <summary>Per group: one past the largest ordered query that sees one of its tokens.</summary>
    public ArrayView<int> GroupHi;
    /// <summary>Per group: the node holding its first token.</summary>
    public ArrayView<int> GroupFirstNode;
    /// <summary>Per group: the nodes its tokens belong to, its (group, node) pairs (0 at the group count); scanned into <see cref="GroupPairBase"/>.</summary>
    public ArrayView<int> GroupPairs;
    /// <summary>Per group: its first (group, node) pair.</summary>
    public ArrayView<int> GroupPairBase;
    /// <summary>Per (group, node) pair: the first ordered query that sees one of the node's tokens in the group (int.MaxValue: none).</summary>
    public ArrayView<int> PairLo;
    /// <summary>Per (group, node) pair: one past the last ordered query that sees them (int.MinValue: none).</summary>
    public ArrayView<int> PairHi;
    /// <summary>By pre-order: the group holding the node's first kept token.</summary>
    public ArrayView<int> NodeFirstGroup;
    /// <summary>By pre-order: the group holding the node's last kept token.</summary>
    public ArrayView<int> NodeLastGroup;
    /// <summary>Per group: its query chunks of at most <see cref="MaxQueries"/> (0 at the group count).</summary>
    public ArrayView<int> GroupChunks;
    /// <summary>Per group: its first candidate item (exclusive scan of <see cref="GroupChunks"/>).</summary>
    public ArrayView<int> ChunkBase;

    /// <summary>Per candidate (a group's query chunk): its group.</summary>
    public ArrayView<int> CandidateGroup;
    /// <summary>Per candidate: the smallest viewer a (group, node) pair that cuts its window found in it (atomic minimum).</summary>
    public ArrayView<int> WindowFirst;
    /// <summary>Per candidate: the largest such end (atomic maximum).</summary>
    public ArrayView<int> WindowEnd;
    /// <summary>Per candidate: +1 / −1 marks of the pairs that cover windows whole (a difference array; 0 at the candidate count).</summary>
    public ArrayView<int> CandidateCover;
    /// <summary>Exclusive scan of <see cref="CandidateCover"/>: candidate c's window is covered whole when entry c + 1 is positive.</summary>
    public ArrayView<int> CoverPrefix;
    /// <summary>Per candidate: the first ordered query that sees one of its tokens (trimmed query range).</summary>
    public ArrayView<int> CandidateFirst;
    /// <summary>Per candidate: one past the last ordered query that sees one of its tokens.</summary>
    public ArrayView<int> CandidateEnd;
    /// <summary>Per candidate: 1 when some query sees it (it becomes a work item).</summary>
    public ArrayView<int> Kept;
    /// <summary>Per candidate: its trimmed query count (0 if dropped).</summary>
    public ArrayView<int> CandidateQueries;
    /// <summary>Per candidate: its first partial slot (exclusive scan of <see cref="CandidateQueries"/>).</summary>
    public ArrayView<int> PartialBase;
    /// <summary>Per candidate: its wide thread-group tasks at <see cref="RowsPerTask"/> rows (0 for a narrow one).</summary>
    public ArrayView<int> CandidateTasks;
    /// <summary>Per candidate: its first task (exclusive scan of <see cref="CandidateTasks"/>).</summary>
    public ArrayView<int> TaskBase;
    /// <summary>Per candidate: 1 for a kept candidate of at most <see cref="NarrowRows"/> rows (one narrow task instead of <see cref="CandidateTasks"/>).</summary>
    public ArrayView<int> CandidateNarrowTasks;
    /// <summary>Per candidate: its narrow task's index among the narrow tasks (exclusive scan of <see cref="CandidateNarrowTasks"/>).</summary>
    public ArrayView<int> NarrowTaskBase;
    /// <summary>Per candidate: its tasks at <see cref="PackedRowsPerTask"/> rows (a streaming plan).</summary>
    public ArrayView<int> CandidatePackedTasks;
    /// <summary>Per candidate: its first task at <see cref="PackedRowsPerTask"/> rows.</summary>
    public ArrayView<int> PackedTaskBase;

    /// <summary>Per caller query: how many partial slots it merges (then scanned into <see cref="PartialOffsets"/>).</summary>
    public ArrayView<int> PartialCounts;
    /// <summary>The device plan's CSR offsets, by caller query.</summary>
    public ArrayView<int> PartialOffsets;
    /// <summary>The device plan's partial slots (after the header is read).</summary>
    public ArrayView<int> PartialSlots;
    /// <summary>The device plan's tasks (after the header is read).</summary>
    public ArrayView<AttentionTask> Tasks;
    /// <summary>The totals the host reads once per step (<see cref="PlanHeader"/>).</summary>
    public ArrayView<long> Header;

    /// <summary>One past the largest node row (<see cref="DeviceTree.RowBound"/>).</summary>
    public int NodeBound;
    /// <summary>Live nodes.</summary>
    public int LiveNodes;
    /// <summary>Queries.</summary>
    public int QueryCount;
    /// <summary>The <see cref="PlanMethod"/>, as an int: Flatten, Node or Adaptive.</summary>
    public int Method;
    /// <summary><see cref="PlannerOptions.BlockTokens"/>.</summary>
    public int BlockTokens;
    /// <summary><see cref="PlannerOptions.MaxQueriesPerItem"/>.</summary>
    public int MaxQueries;
    /// <summary>The <see cref="PlannerOptions.CostModel"/>'s <see cref="PlanCostModel.KvBytesPerToken"/> (Adaptive).</summary>
    public double KvBytesPerToken;
    /// <summary>The cost model's <see cref="PlanCostModel.PartialBytesPerQuery"/> (Adaptive).</summary>
    public double PartialBytesPerQuery;
    /// <summary>The cost model's <see cref="PlanCostModel.BytesPerPair"/> (Adaptive).</summary>
    public double BytesPerPair;
    /// <summary>The cost model's <see cref="PlanCostModel.QueriesPerTile"/> (Adaptive).</summary>
    public int QueriesPerTile;
    /// <summary>Query heads per KV head (rows per query of a work item).</summary>
    public int GroupSize;
    /// <summary>KV heads (the narrow-task rule weighs tokens by them).</summary>
    public int KvHeads;
    /// <summary>The narrow-task rule's least token-heads (<see cref="TreeAttention.NarrowMinTokenHeads"/>).</summary>
    public long NarrowMinTokenHeads;
    /// <summary>Rows per task of the kernel on a plan that shares KV.</summary>
    public int RowsPerTask;
    /// <summary>Rows per task of the kernel on a streaming plan.</summary>
    public int PackedRowsPerTask;
    /// <summary>Items of at most this many rows are narrow tasks on a plan that shares KV (<see cref="TreeAttention.NarrowRows"/>; 0: none).</summary>
    public int NarrowRows;
    /// <summary>1 when the tasks are cut at <see cref="PackedRowsPerTask"/> (set after the header is read).</summary>
    public int PackRows;
}
