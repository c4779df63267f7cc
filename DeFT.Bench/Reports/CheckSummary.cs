using DeFT.Bench.Measurement;
using Spectre.Console;

namespace DeFT.Bench.Reports;

/// <summary>The pass/fail line of the correctness check that <c>run</c> and <c>decode</c> make before (or while) timing.</summary>
public static class CheckSummary
{
    /// <summary>One markup line: every run of <paramref name="records"/> matched the reference, or which did not.</summary>
    public static string Line(IReadOnlyList<RunRecord> records) =>
        Line(records.Count, records.Where(r => r.Status != "ok").Select(r => $"{r.Method}/{r.Kernel} on {r.Workload}").ToList(),
            records.Select(r => r.MaxAbsError).DefaultIfEmpty(0).Max(), "(workload, method, kernel) runs");

    /// <summary>One markup line: every replay and method of <paramref name="records"/> matched the reference on its last step, or which did not.</summary>
    public static string Line(IReadOnlyList<DecodeRecord> records) =>
        Line(records.Count, records.Where(r => r.Status != "ok").Select(r => $"{r.Method} on {r.Workload}").ToList(),
            records.Select(r => r.MaxAbsError).DefaultIfEmpty(0).Max(), "(replay, method) pairs");

    private static string Line(int total, IReadOnlyList<string> failures, double maxError, string what)
    {
        var tolerance = $"max |error| {BenchmarkOptions.MaxAbsTolerance:G2}, relative L2 {BenchmarkOptions.RelL2Tolerance:G2}";
        return failures.Count == 0
            ? $"[green]Correctness check passed:[/] all {total} {what} match the double-precision reference (largest |error| {maxError:E1}; tolerance {tolerance})."
            : $"[red]Correctness check FAILED:[/] {failures.Count} of {total} {what} differ from the double-precision reference ({tolerance}): {Markup.Escape(string.Join(", ", failures))}.";
    }
}
