using DeFT.Workloads;

namespace DeFT.Tests.Support;

/// <summary>Why tests that read <c>../shared/data</c> are skipped when it is absent.</summary>
internal static class SharedData
{
    public const string MissingReason =
        "shared/data not found (walked up from the working directory and the test assembly; set DEFT_DATA to point at it).";

    /// <summary>The data folder, or null when this machine does not have it.</summary>
    public static string? Directory { get; } = DataDirectory.Find();

    /// <summary>The data folder; only call from tests marked <see cref="DataFactAttribute"/> / <see cref="DataTheoryAttribute"/>.</summary>
    public static string Require() => Directory ?? throw new InvalidOperationException(MissingReason);
}

/// <summary>A fact that needs <c>../shared/data</c>; skipped (with the reason) when <see cref="DataDirectory.Find"/> finds nothing.</summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute()
    {
        if (SharedData.Directory is null) Skip = SharedData.MissingReason;
    }
}

/// <summary>A theory that needs <c>../shared/data</c>; skipped (with the reason) when <see cref="DataDirectory.Find"/> finds nothing.</summary>
public sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute()
    {
        if (SharedData.Directory is null) Skip = SharedData.MissingReason;
    }
}
