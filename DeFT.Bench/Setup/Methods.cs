using DeFT.Core.Planning;

namespace DeFT.Bench.Setup;

/// <summary>Method names as used in every report.</summary>
public static class Methods
{
    /// <summary>All methods, baseline last.</summary>
    public static IReadOnlyList<PlanMethod> All { get; } = new[] { PlanMethod.Adaptive, PlanMethod.Flatten, PlanMethod.Node, PlanMethod.Sequence };

    /// <summary>Report name of <paramref name="method"/>.</summary>
    public static string NameOf(PlanMethod method) => method.ToString().ToLowerInvariant();

    /// <summary>Parses report names (case-insensitive); all methods when none are given.</summary>
    public static List<PlanMethod> Parse(IEnumerable<string>? names)
    {
        var list = (names ?? Array.Empty<string>()).Select(n => Enum.TryParse<PlanMethod>(n, true, out var m) ? m
            : throw new FormatException($"Unknown method '{n}'; use adaptive, flatten, node or sequence.")).ToList();
        return list.Count == 0 ? All.ToList() : list;
    }
}
