using DeFT.Core.Planning;

namespace DeFT.Kernels.Attention;

/// <summary>
/// One thread group's share of a work item: up to <see cref="TreeAttention.RowsPerTask(AttentionKernel)"/> rows (16 for
/// <see cref="PartialAttentionKernel"/>, 64 for <see cref="TensorCoreAttentionKernel"/>) starting at row
/// <paramref name="RowBegin"/>, where the item's rows are its (query, query head of the
/// KV head) pairs, query-major. Tasks of one item run side by side and share its KV through L2. The task carries
/// a copy of its <paramref name="Item"/>, not its index: a group's prologue then starts with one record to load, not
/// two dependent ones (each a round trip to memory before the first copy can be issued).
/// </summary>
internal readonly record struct AttentionTask(WorkItem Item, int RowBegin);
