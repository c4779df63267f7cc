using DeFT.Bench.Measurement;

namespace DeFT.Bench.Setup;

/// <summary>L2 eviction names as used on the command line (<c>--evict</c>, <c>--warm-l2</c>) and in every report.</summary>
public static class EvictionChoice
{
    /// <summary>Report name of <paramref name="mode"/>: <c>read</c>, <c>clear</c> or <c>none</c>.</summary>
    public static string NameOf(L2Eviction mode) => mode switch
    {
        L2Eviction.Read => "read",
        L2Eviction.Clear => "clear",
        L2Eviction.None => "none",
        _ => mode.ToString(),
    };

    /// <summary>
    /// The eviction asked for: <paramref name="evict"/> (<c>read</c>, <c>clear</c> or <c>none</c>, case-insensitive;
    /// default <c>read</c>), with <paramref name="warmL2"/> (<c>--warm-l2</c>) an alias of <c>none</c>. Throws
    /// <see cref="FormatException"/> for an unknown name and for <c>--warm-l2</c> with an evicting <c>--evict</c>.
    /// </summary>
    public static L2Eviction Parse(string? evict, bool warmL2)
    {
        L2Eviction? named = evict is null ? null : evict.Trim().ToLowerInvariant() switch
        {
            "read" => L2Eviction.Read,
            "clear" => L2Eviction.Clear,
            "none" or "warm" => L2Eviction.None,
            _ => throw new FormatException($"Unknown L2 eviction '{evict}'; use read, clear or none."),
        };
        if (warmL2 && named is not null and not L2Eviction.None)
            throw new FormatException($"--warm-l2 (no eviction) contradicts --evict {evict}.");
        return warmL2 ? L2Eviction.None : named ?? L2Eviction.Read;
    }

    /// <summary>How a report describes <paramref name="mode"/> for a buffer of <paramref name="bytes"/> bytes.</summary>
    public static string Describe(L2Eviction mode, long bytes) => mode switch
    {
        L2Eviction.Read => $"evicted before each rep by reading a {bytes >> 20} MB buffer",
        L2Eviction.Clear => $"evicted before each rep by clearing a {bytes >> 20} MB buffer",
        _ => "warm (not evicted)",
    };
}
