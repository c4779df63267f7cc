using System.Text.Json;
using DeFT.Core.Trees;

namespace DeFT.Core.Workloads;

/// <summary>
/// Speculative-decoding token trees from Medusa "choices" lists (<c>../shared/data/speculative/*.json</c>):
/// a prompt node, a root candidate token under it, and one single-token node per choice path (a path's
/// parent is the path without its last rank). Every candidate token is a query.
/// </summary>
public static class MedusaTree
{
    /// <summary>A parsed Medusa file: its choice paths and the accepted lengths of each recorded generation.</summary>
    public sealed record Choices(int[][] Paths, int[][] AcceptLengths);

    /// <summary>Reads a Medusa JSON file (<c>Tree_Structure</c>, <c>Records[i].Accept_length</c>).</summary>
    public static Choices Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("Tree_Structure", out var structure))
            throw new FormatException($"{path} has no 'Tree_Structure'.");
        var paths = structure.EnumerateArray().Select(p => p.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var accepts = root.TryGetProperty("Records", out var records)
            ? records.EnumerateArray()
                .Where(r => r.TryGetProperty("Accept_length", out _))
                .Select(r => r.GetProperty("Accept_length").EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray()
            : Array.Empty<int[]>();
        return new Choices(paths, accepts);
    }

    /// <summary>
    /// Builds prompt + token tree. Returns the tree, the node of the root candidate and the candidate
    /// nodes in choice order (root candidate first); the queries are all candidates.
    /// </summary>
    public static (DecodingTree Tree, int Prompt, int[] Candidates) Build(int promptTokens, IReadOnlyList<int[]> paths)
    {
        var tree = new DecodingTree();
        var slots = new SlotCounter();
        int prompt = tree.AddRoot(slots.Take(promptTokens));
        int rootToken = tree.Fork(prompt, slots.Take(1));
        var byPath = new Dictionary<string, int> { [""] = rootToken };
        var candidates = new List<int> { rootToken };
        // Parents first: shorter paths before longer ones, file order otherwise.
        foreach (var path in paths.OrderBy(p => p.Length))
        {
            if (path.Length == 0) throw new FormatException("A Medusa choice path is empty.");
            string parentKey = string.Join(',', path[..^1]);
            if (!byPath.TryGetValue(parentKey, out int parent))
                throw new FormatException($"Medusa choice [{string.Join(',', path)}] has no parent path [{parentKey}].");
            string key = string.Join(',', path);
            if (byPath.ContainsKey(key)) throw new FormatException($"Medusa choice [{key}] appears twice.");
            int node = tree.Fork(parent, slots.Take(1));
            byPath[key] = node;
            candidates.Add(node);
        }
        return (tree, prompt, candidates.ToArray());
    }

    /// <summary>The workload: prompt of <paramref name="promptTokens"/> and the token tree of <paramref name="paths"/>.</summary>
    public static Workload Workload(string name, int promptTokens, IReadOnlyList<int[]> paths, string source, bool synthetic = false)
    {
        var (tree, _, candidates) = Build(promptTokens, paths);
        return new Workload(name, tree, candidates.Select(c => new TreeQuery(c, 1)).ToArray(),
            $"prompt {promptTokens} + Medusa token tree of {candidates.Length} candidates ({source})", synthetic);
    }

    /// <summary>
    /// A stand-in token tree with <paramref name="widths"/> candidates per depth below the root candidate,
    /// node j of a depth hanging under node ⌊j·w_{d−1}/w_d⌋ of the depth above (choice paths by rank).
    /// </summary>
    public static int[][] SyntheticPaths(IReadOnlyList<int> widths)
    {
        var paths = new List<int[]>();
        var previous = new List<int[]> { Array.Empty<int>() };
        foreach (int w in widths)
        {
            var level = new List<int[]>();
            var rank = new int[previous.Count];
            for (int j = 0; j < w; j++)
            {
                int parent = (int)((long)j * previous.Count / w);
                level.Add(previous[parent].Append(rank[parent]++).ToArray());
            }
            paths.AddRange(level);
            previous = level;
        }
        return paths.ToArray();
    }
}
