using DeFT.Workloads;
using DeFT.Workloads.Replays;

namespace DeFT.Bench.Setup;

/// <summary>
/// The decode replays of the paper's Table 4, built from <c>../shared/data</c> when it is present: few-shot
/// prompting (prompt 4000, b branches, 400 steps), multi-step reasoning (the first complete template of each
/// reasoning file, every iteration) and speculative decoding (prompt 1000, the Medusa tree of each size,
/// accepting the lengths of the file's first record). Missing files give synthetic stand-ins, labelled.
/// </summary>
public static class DecodeWorkloads
{
    /// <summary>Replay families, in report order; <c>pat</c> (the 6-level PAT tree, 279k tokens) runs only when named.</summary>
    public static IReadOnlyList<string> Families { get; } = new[] { "fewshot", "reasoning", "speculative", "pat" };

    /// <summary>The families run when none is named.</summary>
    private static readonly string[] DefaultFamilies = { "fewshot", "reasoning", "speculative" };

    /// <summary>The PAT tree of the <c>pat</c> family: the largest of the paper's named trees, its 1024 leaves decoding.</summary>
    public const string PatSpec = "1,4,16,64,256,1024_256,32,256,64,32,256";
    private const int PatSteps = 100;

    /// <summary>Few-shot branch counts of Table 4.</summary>
    public static IReadOnlyList<int> PaperBranches { get; } = new[] { 20, 30, 50 };

    /// <summary>Medusa token-tree sizes of Table 4 (and of the data files).</summary>
    public static IReadOnlyList<int> PaperTreeSizes => DataDirectory.SpeculativeTreeSizes;

    private const int FewShotPrompt = 4000;
    private const int FewShotSteps = 400;
    private const int SpeculativePrompt = 1000;
    private const int SyntheticAcceptLength = 4;
    private const int SyntheticSpeculativeSteps = 400;

    private static readonly (string Name, string File)[] ReasoningFiles = { ("sorting", "sorting128ToT.json"), ("docmerge", "docmergeToT.json") };

    /// <summary>
    /// Builds the replays of the selected <paramref name="families"/> (all when empty). <paramref name="prompt"/>
    /// overrides every replay's prompt length; <paramref name="dataDirectory"/> defaults to <see cref="DataDirectory.Find"/>.
    /// </summary>
    public static List<DecodeWorkload> Build(IReadOnlyCollection<string> families, int? prompt, IReadOnlyList<int> branches,
        IReadOnlyList<int> treeSizes, string? dataDirectory)
    {
        foreach (var f in families)
            if (!Families.Contains(f))
                throw new ArgumentException($"Unknown decode workload '{f}'; use {string.Join(", ", Families)}.", nameof(families));
        dataDirectory ??= DataDirectory.Find();
        bool All(string family) => families.Count == 0 ? DefaultFamilies.Contains(family) : families.Contains(family);
        var list = new List<DecodeWorkload>();
        if (All("fewshot"))
            foreach (int b in branches)
            {
                var replay = new FewShotReplay(prompt ?? FewShotPrompt, b, FewShotSteps);
                list.Add(new DecodeWorkload($"fewshot_b{b}", $"prompt {replay.PromptTokens} + {replay.Branches} branches growing one token per step", false, replay));
            }
        if (All("reasoning"))
            foreach (var (name, file) in ReasoningFiles) list.Add(Reasoning("reason_" + name, file, prompt, dataDirectory));
        if (All("speculative"))
            foreach (int size in treeSizes) list.Add(Speculative($"spec_T{size}", size, prompt ?? SpeculativePrompt, dataDirectory));
        if (All("pat"))
            list.Add(new DecodeWorkload("pat_6level", $"PAT tree {PatSpec} (279k tokens), its 1024 leaves growing one token per step", false,
                new TreeSpecReplay(PatSpec, PatSteps)));
        return list;
    }

    private static DecodeWorkload Reasoning(string name, string file, int? prompt, string? dataDirectory)
    {
        var path = dataDirectory is null ? null : DataDirectory.ReasoningFile(dataDirectory, file);
        if (path is null || !File.Exists(path))
        {
            var stand = new ReasoningReplay(SyntheticTemplate(), prompt);
            return new DecodeWorkload(name, $"synthetic stand-in for {file}: prompt {stand.PromptTokens}, 10 thoughts of 500 tokens, the first branching into 10 more; one step per iteration", true, stand);
        }
        var templates = ReasoningTree.Load(path);
        int index = Array.FindIndex(templates, t => !t.Incomplete);
        if (index < 0) throw new FormatException($"{path} has no complete template.");
        var template = templates[index];
        var replay = new ReasoningReplay(template, prompt);
        string promptNote = prompt is null ? "" : $" (the template's is {template.Nodes[template.Root].Length})";
        return new DecodeWorkload(name,
            $"{file}, template {index} (the first complete one of {templates.Length}): {template.Nodes.Count} thoughts, prompt {replay.PromptTokens}{promptNote}; one step per iteration",
            false, replay);
    }

    private static DecodeWorkload Speculative(string name, int size, int prompt, string? dataDirectory)
    {
        var path = dataDirectory is null ? null : DataDirectory.SpeculativeFile(dataDirectory, size);
        if (path is not null && File.Exists(path))
        {
            var choices = MedusaTree.Load(path);
            if (choices.AcceptLengths.Length == 0) throw new FormatException($"{path} has no Records with an Accept_length.");
            var accepts = choices.AcceptLengths[0];
            var replay = new SpeculativeReplay(prompt, choices.Paths, accepts);
            return new DecodeWorkload(name,
                $"prompt {replay.PromptTokens} + Medusa tree of {replay.TreeSize} candidates ({Path.GetFileName(path)}), accepting Records[0].Accept_length in turn (mean {accepts.Average():F2})",
                false, replay);
        }
        if (!NamedWorkloads.MedusaWidths.TryGetValue(size, out var widths))
            throw new ArgumentException($"There is no Medusa tree of size {size}; the data has {string.Join(", ", PaperTreeSizes)}.", nameof(size));
        var stand = new SpeculativeReplay(prompt, MedusaTree.SyntheticPaths(widths), Enumerable.Repeat(SyntheticAcceptLength, SyntheticSpeculativeSteps).ToArray());
        return new DecodeWorkload(name,
            $"synthetic: prompt {stand.PromptTokens} + a token tree of {stand.TreeSize} candidates with the data's per-depth widths, accepting {SyntheticAcceptLength} tokens per step (the data's mean is 4.3)",
            true, stand);
    }

    /// <summary>A prompt of 1100 tokens, 10 thoughts of 500 tokens, the first of which branches into 10 more.</summary>
    private static ReasoningTree.Template SyntheticTemplate()
    {
        var nodes = new Dictionary<int, ReasoningTree.TemplateNode>
        {
            [0] = new(0, -1099, 0, Enumerable.Range(1, 10).ToArray()),
            [1] = new(1, 1, 500, Enumerable.Range(11, 10).ToArray()),
        };
        for (int id = 2; id <= 10; id++) nodes[id] = new(id, 1, 500, Array.Empty<int>());
        for (int id = 11; id <= 20; id++) nodes[id] = new(id, 501, 1000, Array.Empty<int>());
        return new ReasoningTree.Template(false, nodes, 0);
    }
}
