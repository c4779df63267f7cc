using System.Text.Json;
using DeFT.Core.Trees;

namespace DeFT.Workloads;

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
    /// The candidates of the token tree of <paramref name="paths"/> in build order — the root candidate (the empty
    /// path) first, then the choice paths by length, in file order within a length — and each candidate's parent
    /// candidate (-1 for the root candidate, which hangs under the prompt). Throws <see cref="FormatException"/> for
    /// an empty path, a path without its parent path, or a path given twice.
    /// </summary>
    public static (int[][] Paths, int[] Parents) Candidates(IReadOnlyList<int[]> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var ordered = new List<int[]> { Array.Empty<int>() };
        var parents = new List<int> { -1 };
        var byPath = new Dictionary<string, int> { [""] = 0 };
        // Parents first: shorter paths before longer ones, file order otherwise.
        foreach (var path in paths.OrderBy(p => p.Length))
        {
            if (path.Length == 0) throw new FormatException("A Medusa choice path is empty.");
            string parentKey = string.Join(',', path[..^1]);
            if (!byPath.TryGetValue(parentKey, out int parent))
                throw new FormatException($"Medusa choice [{string.Join(',', path)}] has no parent path [{parentKey}].");
            string key = string.Join(',', path);
            if (byPath.ContainsKey(key)) throw new FormatException($"Medusa choice [{key}] appears twice.");
            byPath[key] = ordered.Count;
            ordered.Add(path);
            parents.Add(parent);
        }
        return (ordered.ToArray(), parents.ToArray());
    }

    /// <summary>
    /// Builds prompt + token tree. Returns the tree, the prompt node and the candidate
    /// nodes in choice order (root candidate first); the queries are all candidates.
    /// </summary>
    public static (DecodingTree Tree, int Prompt, int[] Candidates) Build(int promptTokens, IReadOnlyList<int[]> paths)
    {
        var (_, parents) = Candidates(paths);
        var tree = new DecodingTree();
        var slots = new SlotCounter();
        int prompt = tree.AddRoot(slots.Take(promptTokens));
        var candidates = new int[parents.Length];
        for (int i = 0; i < candidates.Length; i++)
            candidates[i] = tree.Fork(parents[i] < 0 ? prompt : candidates[parents[i]], slots.Take(1));
        return (tree, prompt, candidates);
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
