using DeFT.Core.Trees;

namespace DeFT.Core.Reference;

/// <summary>
/// The oracle: for each query and query head, walk the query's path from its node to the root, gather
/// the visible tokens and compute softmax(logits)·V and the LSE in double precision, the logits being the raw scores
/// q·Kᵀ through a <see cref="ScoreTransform"/> (default: scale 1/√D; GQA: query head h reads KV head h / G).
/// Independent of every planner.
/// </summary>
public static class ReferenceAttention
{
    /// <summary>Computes the attention of every query in <paramref name="queries"/>, with <paramref name="scores"/> (default: <see cref="ScoreTransform.Default"/>).</summary>
    public static AttentionResult Compute(DecodingTree tree, IReadOnlyList<TreeQuery> queries, AttentionData data,
        ScoreTransform? scores = null)
    {
        var heads = data.Heads;
        var transform = scores ?? ScoreTransform.Default(heads);
        if (queries.Count != data.QueryCount)
            throw new ArgumentException($"{queries.Count} queries but the data holds {data.QueryCount}.", nameof(queries));
        int d = heads.HeadDim;
        var output = new double[(long)queries.Count * heads.QueryHeads * d];
        var lse = new double[(long)queries.Count * heads.QueryHeads];
        for (int qi = 0; qi < queries.Count; qi++)
        {
            var path = PathSlots(tree, queries[qi]);
            foreach (int s in path)
                if (s >= data.SlotCount) throw new ArgumentException($"Slot {s} is outside the KV data ({data.SlotCount} slots).");
            for (int h = 0; h < heads.QueryHeads; h++)
            {
                int kvh = h / heads.GroupSize;
                var offsets = path.Select(s => data.KvOffset(s, kvh)).ToArray();
                long qo = data.QOffset(qi, h);
                lse[(long)qi * heads.QueryHeads + h] = SoftmaxAccumulator.Attend(
                    data.Q.AsSpan((int)qo, d), offsets, data.K, data.V, transform, output.AsSpan((int)qo, d));
            }
        }
        return new AttentionResult(output, lse);
    }

    /// <summary>The slots a query sees, root first: every ancestor's tokens, then its node's visible prefix.</summary>
    public static List<int> PathSlots(DecodingTree tree, TreeQuery query)
    {
        var own = tree.Slots(query.Node);
        if (query.VisibleTokens < 0 || query.VisibleTokens > own.Count)
            throw new TreeException($"Query sees {query.VisibleTokens} tokens of node {query.Node}, which has {own.Count}.");
        var chain = new List<int>();
        for (int a = tree.Parent(query.Node); a >= 0; a = tree.Parent(a)) chain.Add(a);
        var slots = new List<int>();
        for (int i = chain.Count - 1; i >= 0; i--) slots.AddRange(tree.Slots(chain[i]));
        for (int t = 0; t < query.VisibleTokens; t++) slots.Add(own[t]);
        return slots;
    }
}
