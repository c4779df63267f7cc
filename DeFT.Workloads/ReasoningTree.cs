using System.Text.Json;
using DeFT.Core.Trees;

namespace DeFT.Workloads;

/// <summary>
/// Tree-of-Thoughts templates (<c>../shared/data/reasoning/*.json</c>): each node grows one token per
/// decoding iteration from <c>start</c> to <c>end</c>, branches into its children at <c>end</c>, and a leaf
/// whose <c>end</c> has passed is pruned (with ancestors left without a live leaf).
/// </summary>
public static class ReasoningTree
{
    /// <summary>One node of a template.</summary>
    public sealed record TemplateNode(int Id, int Start, int End, int[] Children)
    {
        /// <summary>Token count when complete (0 for the zero-length nodes with start &gt; end).</summary>
        public int Length => Math.Max(0, End - Start + 1);
    }

    /// <summary>One template tree; <see cref="Root"/> is its prompt.</summary>
    public sealed record Template(bool Incomplete, IReadOnlyDictionary<int, TemplateNode> Nodes, int Root)
    {
        /// <summary>The last iteration in which any node grows.</summary>
        public int LastIteration => Nodes.Values.Max(n => n.End);
    }

    /// <summary>Reads every template of a reasoning JSON file.</summary>
    public static Template[] Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var result = new List<Template>();
        foreach (var t in doc.RootElement.EnumerateArray())
        {
            var nodes = new Dictionary<int, TemplateNode>();
            foreach (var p in t.GetProperty("data").EnumerateObject())
            {
                var n = p.Value;
                var node = new TemplateNode(n.GetProperty("id").GetInt32(), n.GetProperty("start").GetInt32(),
                    n.GetProperty("end").GetInt32(), n.GetProperty("children").EnumerateArray().Select(c => c.GetInt32()).ToArray());
                nodes[node.Id] = node;
            }
            var childIds = nodes.Values.SelectMany(n => n.Children).ToHashSet();
            var roots = nodes.Keys.Where(k => !childIds.Contains(k)).ToArray();
            if (roots.Length != 1) throw new FormatException($"{path}: a template has {roots.Length} roots; expected 1.");
            foreach (int c in childIds)
                if (!nodes.ContainsKey(c)) throw new FormatException($"{path}: child {c} is not a node of its template.");
            bool incomplete = t.TryGetProperty("incompleted", out var inc) && inc.GetBoolean();
            result.Add(new Template(incomplete, nodes, roots[0]));
        }
        return result.ToArray();
    }

    /// <summary>
    /// The tree at iteration <paramref name="iteration"/>: nodes with <c>start ≤ it</c>, growing nodes cut to
    /// <c>it − start + 1</c> tokens, finished leaves (and ancestors with no live leaf) pruned. The queries are
    /// the growing nodes. Slots are consecutive in pre-order.
    /// </summary>
    public static (DecodingTree Tree, TreeQuery[] Queries) Snapshot(Template template, int iteration)
    {
        bool Growing(TemplateNode n) => n.Start <= iteration && iteration <= n.End;
        // Post-order liveness: a node is kept when it or a descendant is growing.
        var keep = new Dictionary<int, bool>();
        var order = new List<int>();
        var stack = new Stack<int>();
        stack.Push(template.Root);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            order.Add(id);
            foreach (int c in template.Nodes[id].Children) stack.Push(c);
        }
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var n = template.Nodes[order[i]];
            keep[n.Id] = n.Start <= iteration && (Growing(n) || n.Children.Any(c => keep[c]));
        }
        var tree = new DecodingTree();
        var queries = new List<TreeQuery>();
        if (!keep[template.Root]) return (tree, queries.ToArray());
        var slots = new SlotCounter();
        var map = new Dictionary<int, int>();
        var walk = new Stack<(int Id, int Parent)>();
        walk.Push((template.Root, -1));
        while (walk.Count > 0)
        {
            var (id, parent) = walk.Pop();
            var n = template.Nodes[id];
            int tokens = Math.Min(n.Length, Math.Max(0, iteration - n.Start + 1));
            int node = parent < 0 ? tree.AddRoot(slots.Take(tokens)) : tree.Fork(parent, slots.Take(tokens));
            map[id] = node;
            if (Growing(n)) queries.Add(new TreeQuery(node, tokens));
            for (int c = n.Children.Length - 1; c >= 0; c--)
                if (keep[n.Children[c]]) walk.Push((n.Children[c], node));
        }
        return (tree, queries.ToArray());
    }
}
