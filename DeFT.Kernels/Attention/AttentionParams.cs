using DeFT.Core.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// Everything the partial-attention and merge kernels read and write for one layer (one struct: loaders take few
/// parameters). Q, K, V and the output are raw 16-bit elements; the kernels' element type (fp16 or bf16) reads them.
/// </summary>
internal struct AttentionParams
{
    /// <summary>Queries <c>[queries, Hq, D]</c>, indexed by the caller's query order.</summary>
    public ArrayView<ushort> Q;
    /// <summary>Keys of the layer <c>[slots, Hkv, D]</c>.</summary>
    public ArrayView<ushort> K;
    /// <summary>Values of the layer <c>[slots, Hkv, D]</c>.</summary>
    public ArrayView<ushort> V;
    /// <summary>Plan tokens' KV slots.</summary>
    public ArrayView<int> TokenSlots;
    /// <summary>Plan tokens' masks: the ordered queries that see each token.</summary>
    public ArrayView<QueryRange> TokenVisibility;
    /// <summary>Thread-group tasks (a copy of the work item, first row).</summary>
    public ArrayView<AttentionTask> Tasks;
    /// <summary>Ordered position → caller's query index.</summary>
    public ArrayView<int> QueryOrder;
    /// <summary>CSR offsets of each caller query's partial slots (length queries + 1).</summary>
    public ArrayView<int> PartialOffsets;
    /// <summary>CSR partial slots.</summary>
    public ArrayView<int> PartialSlots;
    /// <summary>Partial outputs <c>[partials, Hq, D]</c>, normalised.</summary>
    public ArrayView<float> PartialOutput;
    /// <summary>Partial log2-sum-exp2 of the log2-scaled scores <c>[partials, Hq]</c>.</summary>
    public ArrayView<float> PartialLse;
    /// <summary>Final output <c>[queries, Hq, D]</c>.</summary>
    public ArrayView<ushort> Output;
    /// <summary>Final natural-log LSE <c>[queries, Hq]</c>, or an empty view when not wanted.</summary>
    public ArrayView<float> Lse;
    /// <summary>Query heads.</summary>
    public int QueryHeads;
    /// <summary>KV heads.</summary>
    public int KvHeads;
    /// <summary>Division by <see cref="KvHeads"/> (a group index into its task and KV head).</summary>
    public FastDivisor KvHeadDivisor;
    /// <summary>Division by the query heads per KV head, G (a task row into its query and head).</summary>
    public FastDivisor GroupHeadDivisor;
    /// <summary>CUDA-core kernel only: nonzero packs a task's rows into as few warps as possible (4 per warp) instead of spreading them one per warp (see <see cref="Device.DevicePlan.PackRows"/>).</summary>
    public int PackRows;
    /// <summary>Device address of <see cref="Q"/>'s element 0 (16-byte aligned: <c>TreeAttention.Run</c> checks).</summary>
    public long QAddress;
    /// <summary>Device address of <see cref="K"/>'s element 0 (the source operand of <c>cp.async</c>; unused on the CPU).</summary>
    public long KAddress;
    /// <summary>Device address of <see cref="V"/>'s element 0.</summary>
    public long VAddress;
    /// <summary>Device address of <see cref="TokenVisibility"/>'s element 0.</summary>
    public long VisibilityAddress;
    /// <summary>Device address of <see cref="TokenSlots"/>' element 0.</summary>
    public long SlotsAddress;
    /// <summary>
    /// Multiplier of a raw score q·k: without a soft cap, the softmax scale times log2(e) (logits are kept in the log2
    /// domain so exp2 is enough); with one, scale / cap, the argument of the cap's tanh.
    /// </summary>
    public float ScoreScale;
    /// <summary>0 for no soft cap; else cap · log2(e), the factor of the cap's tanh (giving a log2-domain logit).</summary>
    public float SoftCapLog2;
}
