namespace DeFT.Workloads;

/// <summary>Finds the real tree data (<c>shared/data</c> beside the repository) without copying it in.</summary>
public static class DataDirectory
{
    /// <summary>Environment variable that overrides the search.</summary>
    public const string EnvironmentVariable = "DEFT_DATA";

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
}
