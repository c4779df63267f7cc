namespace DeFT.Workloads;

/// <summary>The named workloads of DESIGN.md §6, built from the real data when it is present.</summary>
public static class NamedWorkloads
{
    private static readonly string[] PatternSpecs =
        { "1,10_4096,416", "1,256_256,32", "1,4,16,64,256,1024_256,32,256,64,32,256", "256_4096" };

    /// <summary>Per-depth candidate widths below the root candidate of the Medusa trees of each size (data/README.md), used when the files are missing.</summary>
    public static IReadOnlyDictionary<int, int[]> MedusaWidths { get; } = new Dictionary<int, int[]>
    {
        [32] = new[] { 4, 8, 16, 3 }, [64] = new[] { 10, 28, 23, 2 },
        [128] = new[] { 5, 20, 80, 22 }, [256] = new[] { 6, 30, 150, 69 },
    };

    /// <summary>Every name, in report order.</summary>
    public static IReadOnlyList<string> Names { get; } = new[]
    {
        "A_fewshot_b20", "A_fewshot_b50",
        "B_spec_P4k_T64", "B_spec_P4k_T256", "B_spec_P16k_T64", "B_spec_P16k_T256",
        "C_reason_sorting", "C_reason_docmerge",
    }.Concat(PatternSpecs.Select(s => "D_pat_" + s)).ToArray();

    /// <summary>
    /// Builds workload <paramref name="name"/> (one of <see cref="Names"/>, or <c>D_pat_&lt;spec&gt;</c> for any tree spec).
    /// <paramref name="dataDirectory"/> defaults to <see cref="DataDirectory.Find"/>; without the files a
    /// synthetic tree of the same size is used and marked <see cref="Workload.Synthetic"/>.
    /// </summary>
    public static Workload Build(string name, string? dataDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        dataDirectory ??= DataDirectory.Find();
        switch (name)
        {
            case "A_fewshot_b20": return TreeSpec.Build("1,20_4000,200", name);
            case "A_fewshot_b50": return TreeSpec.Build("1,50_4000,200", name);
            case "B_spec_P4k_T64": return Speculative(name, 4000, 64, dataDirectory);
            case "B_spec_P4k_T256": return Speculative(name, 4000, 256, dataDirectory);
            case "B_spec_P16k_T64": return Speculative(name, 16000, 64, dataDirectory);
            case "B_spec_P16k_T256": return Speculative(name, 16000, 256, dataDirectory);
            case "C_reason_sorting": return Reasoning(name, "sorting128ToT.json", dataDirectory);
            case "C_reason_docmerge": return Reasoning(name, "docmergeToT.json", dataDirectory);
        }
        if (name.StartsWith("D_pat_", StringComparison.Ordinal)) return TreeSpec.Build(name["D_pat_".Length..], name);
        throw new ArgumentException($"Unknown workload '{name}'. Known: {string.Join(", ", Names)}, or D_pat_<tree spec>.", nameof(name));
    }

    private static Workload Speculative(string name, int prompt, int size, string? dataDirectory)
    {
        var file = dataDirectory is null ? null : DataDirectory.SpeculativeFile(dataDirectory, size);
        if (file is not null && File.Exists(file))
            return MedusaTree.Workload(name, prompt, MedusaTree.Load(file).Paths, Path.GetFileName(file));
        return MedusaTree.Workload(name, prompt, MedusaTree.SyntheticPaths(MedusaWidths[size]), "synthetic, same per-depth widths", synthetic: true);
    }

    private static Workload Reasoning(string name, string fileName, string? dataDirectory)
    {
        var file = dataDirectory is null ? null : DataDirectory.ReasoningFile(dataDirectory, fileName);
        if (file is null || !File.Exists(file))
        {
            var stand = TreeSpec.Build("1,10_1100,500", name);
            return stand with { Description = "synthetic stand-in (1 prompt of 1100 + 10 thoughts of 500)", Synthetic = true };
        }
        var template = ReasoningTree.Load(file).First(t => !t.Incomplete);
        int iteration = template.LastIteration / 2;
        var (tree, queries) = ReasoningTree.Snapshot(template, iteration);
        return new Workload(name, tree, queries, $"{fileName}, first complete template at iteration {iteration}");
    }
}
