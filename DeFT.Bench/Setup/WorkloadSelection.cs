using DeFT.Core;
using DeFT.Workloads;

namespace DeFT.Bench.Setup;

/// <summary>Resolves the workloads and head configs named on the command line.</summary>
public static class WorkloadSelection
{
    /// <summary>Small trees for the CPU accelerator, where only correctness and the report's shape mean anything.</summary>
    public static IReadOnlyList<string> CpuQuickSpecs { get; } = new[] { "1,4_64,16", "1,2,4_32,16,16" };

    /// <summary>Named workloads plus <c>--tree</c> specs; all named ones when both are empty.</summary>
    public static List<Workload> Resolve(IEnumerable<string>? names, IEnumerable<string>? trees, string? dataDirectory)
    {
        var list = new List<Workload>();
        var nameList = names?.ToList() ?? new List<string>();
        var treeList = trees?.ToList() ?? new List<string>();
        if (nameList.Count == 0 && treeList.Count == 0) nameList.AddRange(NamedWorkloads.Names);
        foreach (var n in nameList) list.Add(NamedWorkloads.Build(n, dataDirectory));
        foreach (var t in treeList) list.Add(TreeSpec.Build(t, "D_pat_" + t));
        return list;
    }

    /// <summary>Parses <c>Hq:Hkv</c> strings; 32:8 when none are given.</summary>
    public static List<HeadConfig> Heads(IEnumerable<string>? specs, int headDim)
    {
        var list = new List<HeadConfig>();
        foreach (var s in specs ?? Array.Empty<string>())
        {
            var parts = s.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int hq) || !int.TryParse(parts[1], out int hkv))
                throw new FormatException($"--heads {s} must look like 32:8 (query heads : KV heads).");
            list.Add(new HeadConfig(hq, hkv, headDim));
        }
        if (list.Count == 0) list.Add(new HeadConfig(32, 8, headDim));
        return list;
    }
}
