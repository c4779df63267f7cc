namespace DeFT.Workloads;

/// <summary>Finds the real tree data (<c>shared/data</c> beside the repository) without copying it in, and names its files.</summary>
public static class DataDirectory
{
    /// <summary>Environment variable that overrides the search.</summary>
    public const string EnvironmentVariable = "DEFT_DATA";

    /// <summary>Token-tree sizes of the Medusa files (<c>speculative/APPS_tree_size{N}.json</c>).</summary>
    public static IReadOnlyList<int> SpeculativeTreeSizes { get; } = [32, 64, 128, 256];

    /// <summary>The Tree-of-Thoughts files of <c>reasoning/</c>.</summary>
    public static IReadOnlyList<string> ReasoningFileNames { get; } = ["sorting128ToT.json", "docmergeToT.json"];

    /// <summary>
    /// The data folder: <c>$DEFT_DATA</c> if set, else the first <c>shared/data</c> found walking up from the
    /// working directory or the program's folder; null when there is none.
    /// </summary>
    public static string? Find()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The Medusa file of <paramref name="treeSize"/> candidates in <paramref name="folder"/>.</summary>
    public static string SpeculativeFile(string folder, int treeSize) => Path.Combine(folder, "speculative", $"APPS_tree_size{treeSize}.json");

    /// <summary>The reasoning file <paramref name="fileName"/> in <paramref name="folder"/>.</summary>
    public static string ReasoningFile(string folder, string fileName) => Path.Combine(folder, "reasoning", fileName);

    /// <summary>
    /// Why <paramref name="folder"/> cannot serve the real trees ("does not exist", "holds none of ..."), or null when it
    /// holds at least one of the expected files. Callers warn with it: every missing file falls back to a synthetic tree.
    /// </summary>
    public static string? Problem(string folder)
    {
        if (!Directory.Exists(folder)) return "does not exist";
        bool any = SpeculativeTreeSizes.Any(s => File.Exists(SpeculativeFile(folder, s)))
            || ReasoningFileNames.Any(f => File.Exists(ReasoningFile(folder, f)));
        return any ? null : "holds none of the expected files (speculative/APPS_tree_size*.json, reasoning/*ToT.json)";
    }
}
