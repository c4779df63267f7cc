using DeFT.Core.Decoding;

namespace DeFT.Workloads.Replays;

/// <summary>
/// Multi-step reasoning (Tree-of-Thoughts, the paper's second workload) replayed from a recorded template,
/// one decoding iteration per step: step <c>it</c> prunes the branches that finished (a leaf whose
/// <c>end</c> has passed, and ancestors left without a live leaf), forks the thoughts that start
/// (<c>start = it</c>, under a node that reached its <c>end</c>) and gives every growing thought one token.
/// After step <c>it</c> the tree equals <see cref="ReasoningTree.Snapshot"/> at iteration <c>it</c> (up to slot
/// numbers), and the queries are its growing thoughts.
/// </summary>
public sealed class ReasoningReplay : IDecodeReplay
{
    private readonly ReasoningTree.Template template;
    private readonly int[] preOrder;
    private readonly Dictionary<int, int> parentOf = new();
    private readonly Dictionary<int, int> nodeOf = new();

    /// <summary>
    /// Creates the replay of <paramref name="template"/>, its prompt cut or stretched to <paramref name="promptTokens"/>
    /// when given. Throws <see cref="ArgumentException"/> when a child does not start right after its parent's end
    /// (then some iteration would have nothing to decode).
    /// </summary>
    public ReasoningReplay(ReasoningTree.Template template, int? promptTokens = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (promptTokens < 1) throw new ArgumentOutOfRangeException(nameof(promptTokens), promptTokens, "The prompt needs at least one token.");
        this.template = template;
        var order = new List<int>();
        var stack = new Stack<int>();
        stack.Push(template.Root);
        while (stack.Count > 0)
        {
            var node = template.Nodes[stack.Pop()];
            order.Add(node.Id);
            for (int c = node.Children.Length - 1; c >= 0; c--)
            {
                var child = template.Nodes[node.Children[c]];
                if (child.Start != node.End + 1)
                    throw new ArgumentException($"Template node {child.Id} starts at iteration {child.Start}, not right after its parent {node.Id} ends ({node.End}).", nameof(template));
                parentOf[child.Id] = node.Id;
                stack.Push(child.Id);
            }
        }
        preOrder = order.ToArray();
        PromptTokens = promptTokens ?? template.Nodes[template.Root].Length;
    }

    /// <summary>Tokens of the prompt (the template's root).</summary>
    public int PromptTokens { get; }

    /// <summary>Iterations 0 (the prompt's last token) to the template's last.</summary>
    public int Steps => template.LastIteration + 1;

    /// <summary>Adds the prompt.</summary>
    public void Start(DecodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        nodeOf.Clear();
        nodeOf[template.Root] = session.AddRoot(PromptTokens);
    }

    /// <summary>Decoding iteration <paramref name="step"/>: prune finished branches, fork starting thoughts, grow the growing ones.</summary>
    public void Step(DecodeSession session, int step)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (step == 0) return; // the prompt's own iteration: its last token is the query
        var kept = Kept(step);
        foreach (int id in preOrder)
        {
            if (!nodeOf.TryGetValue(id, out int node) || kept.Contains(id)) continue;
            if (session.Tree.IsLive(node)) session.Prune(node); // its subtree goes with it
            nodeOf.Remove(id);
        }
        foreach (int id in preOrder)
        {
            var t = template.Nodes[id];
            if (!kept.Contains(id)) continue;
            if (t.Start == step) nodeOf[id] = session.Fork(nodeOf[parentOf[id]], t.Length > 0 ? 1 : 0);
            else if (t.Start < step && step <= t.End) session.Append(nodeOf[id]);
        }
    }

    /// <summary>Template nodes present at <paramref name="iteration"/>: started, and growing or with a kept child.</summary>
    private HashSet<int> Kept(int iteration)
    {
        var kept = new HashSet<int>();
        for (int i = preOrder.Length - 1; i >= 0; i--)
        {
            var n = template.Nodes[preOrder[i]];
            bool growing = n.Start <= iteration && iteration <= n.End;
            if (n.Start <= iteration && (growing || n.Children.Any(kept.Contains))) kept.Add(n.Id);
        }
        return kept;
    }
}
