using Spectre.Console;

namespace DeFT.Bench.Reports;

/// <summary>The readable console tables of <c>run</c>, <c>report</c> and <c>decode</c>, full or compact to fit the terminal.</summary>
public static class ConsoleReport
{
    /// <summary>One row per record; in fewer than the full table's columns (<paramref name="width"/>, default the console's), the compact columns.</summary>
    public static Table Table(IEnumerable<RunRecord> records, int? width = null)
    {
        var list = records.ToList();
        return FittedTable.Choose(FullTable(list), () => CompactTable(list), width);
    }

    /// <summary>One row per (replay, method) of the <c>decode</c> command, full or compact as <see cref="Table(IEnumerable{RunRecord}, int?)"/>.</summary>
    public static Table Table(IEnumerable<DecodeRecord> records, int? width = null)
    {
        var list = records.ToList();
        return FittedTable.Choose(FullTable(list), () => CompactTable(list), width);
    }

    private static Table FullTable(IReadOnlyList<RunRecord> records)
    {
        var t = FittedTable.Create(4, "workload", "heads", "method", "kernel", "median µs", "p10–p90 µs", "mem floor µs", "tc floor µs", "× floor", "vs seq", "max err", "KV read MB");
        foreach (var r in records)
            t.AddRow(Markup.Escape(r.Workload), Heads(r), r.Method, r.Kernel, Median(r),
                r.Status == "ok" ? $"{r.P10Us:F1}–{r.P90Us:F1}" : "",
                $"{r.MemoryFloorUs:F1}", r.ComputeFloorUs is double c ? $"{c:F1}" : "n/a",
                FloorRatio(r), Speedup(r.SpeedupVsSequence), $"{r.MaxAbsError:E1}", $"{r.KvBytesRead / 1e6:F1}");
        return t;
    }

    // 80 columns: heads and kernel go under the workload's name; floors, spread and KV bytes stay in the JSON and Markdown.
    private static Table CompactTable(IReadOnlyList<RunRecord> records)
    {
        var t = FittedTable.Create(2, "workload", "method", "median µs", "× floor", "vs seq", "max err");
        foreach (var r in records)
            t.AddRow($"{Markup.Escape(r.Workload)}\n[grey]{Heads(r)} {r.Kernel}[/]", r.Method, Median(r), FloorRatio(r),
                Speedup(r.SpeedupVsSequence), $"{r.MaxAbsError:E1}");
        return t;
    }

    private static Table FullTable(IReadOnlyList<DecodeRecord> records)
    {
        var t = FittedTable.Create(3, "workload", "steps", "method", "attention s", "plan s", "upload s", "launch s",
            "plan / upload / attention ms per step", "vs seq", "KV read GB", "max err", "check");
        t.Columns[1].RightAligned().NoWrap();
        foreach (var r in records)
            t.AddRow(DecodeName(r), $"{r.Steps}", r.Method, $"{r.AttentionSeconds:F3}", $"{r.PlanSeconds:F3}",
                $"{r.UploadSeconds:F3}", $"{r.LaunchSeconds:F3}",
                $"{r.PlanMsPerStep:F3} / {r.UploadMsPerStep:F3} / {r.AttentionMsPerStep:F3}", Speedup(r.SpeedupVsSequence),
                $"{r.KvReadGB:F1}", $"{r.MaxAbsError:E1}", Check(r.Status));
        return t;
    }

    // 80 columns: upload, launch and KV read stay in the JSON and Markdown.
    private static Table CompactTable(IReadOnlyList<DecodeRecord> records)
    {
        var t = FittedTable.Create(2, "workload", "method", "attention s", "plan s", "vs seq", "check");
        foreach (var r in records)
            t.AddRow(DecodeName(r), r.Method, $"{r.AttentionSeconds:F3}", $"{r.PlanSeconds:F3}", Speedup(r.SpeedupVsSequence), Check(r.Status));
        return t;
    }

    private static string Heads(RunRecord r) => $"{r.Hq}:{r.Hkv}/{r.HeadDim}";

    private static string Median(RunRecord r) => r.Status == "ok" ? $"{r.MedianUs:F1}" : "[red]failed[/]";

    private static string FloorRatio(RunRecord r) => r.FloorRatio is double f ? $"{f:F2}" : "";

    private static string Speedup(double? speedup) => speedup is double s ? $"{s:F2}×" : "";

    private static string DecodeName(DecodeRecord r) => Markup.Escape(r.Workload) + (r.Synthetic ? " (synthetic)" : "");

    private static string Check(string status) => status == "ok" ? "ok" : "[red]failed[/]";
}
