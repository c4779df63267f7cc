namespace DeFT.Kernels.Attention;

/// <summary>
/// One thread group's share of a work item: up to <see cref="TreeAttention.RowsPerTask(AttentionKernel)"/> rows (16 for
/// <see cref="PartialAttentionKernel"/>, 64 for <see cref="TensorCoreAttentionKernel"/>) starting at row
/// <paramref name="RowBegin"/>, where the item's rows are its (query, query head of the
/// KV head) pairs, query-major. Tasks of one item run side by side and share its KV through L2.
/// </summary>
internal readonly record struct AttentionTask(int Item, int RowBegin);
