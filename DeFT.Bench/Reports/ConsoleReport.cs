using Spectre.Console;

namespace DeFT.Bench.Reports;

/// <summary>The readable console table of a run.</summary>
public static class ConsoleReport
{
    /// <summary>One row per record.</summary>
    public static Table Table(IEnumerable<RunRecord> records)
    {
        var t = new Table().Border(TableBorder.Rounded);
        t.AddColumns("workload", "heads", "method", "kernel", "median µs", "p10–p90 µs", "mem floor µs", "tc floor µs", "× floor", "vs seq", "max err", "KV read MB");
        foreach (var r in records)
            t.AddRow(Markup.Escape(r.Workload), $"{r.Hq}:{r.Hkv}/{r.HeadDim}", r.Method, r.Kernel,
                r.Status == "ok" ? $"{r.MedianUs:F1}" : "[red]failed[/]",
                r.Status == "ok" ? $"{r.P10Us:F1}–{r.P90Us:F1}" : "",
                $"{r.MemoryFloorUs:F1}", r.ComputeFloorUs is double c ? $"{c:F1}" : "n/a",
                r.FloorRatio is double f ? $"{f:F2}" : "", r.SpeedupVsSequence is double s ? $"{s:F2}×" : "",
                $"{r.MaxAbsError:E1}", $"{r.KvBytesRead / 1e6:F1}");
        foreach (var c in t.Columns.Skip(4)) c.RightAligned();
        return t;
    }

    /// <summary>One row per (replay, method) of the <c>decode</c> command.</summary>
    public static Table Table(IEnumerable<DecodeRecord> records)
    {
        var t = new Table().Border(TableBorder.Rounded);
        t.AddColumns("workload", "steps", "method", "attention s", "plan s", "upload s", "launch s", "plan / upload / attention ms per step", "vs seq", "KV read GB", "max err", "check");
        foreach (var r in records)
            t.AddRow(Markup.Escape(r.Workload) + (r.Synthetic ? " (synthetic)" : ""), $"{r.Steps}", r.Method, $"{r.AttentionSeconds:F3}", $"{r.PlanSeconds:F3}",
                $"{r.UploadSeconds:F3}", $"{r.LaunchSeconds:F3}", $"{r.PlanMsPerStep:F3} / {r.UploadMsPerStep:F3} / {r.AttentionMsPerStep:F3}",
                r.SpeedupVsSequence is double s ? $"{s:F2}×" : "", $"{r.KvReadGB:F1}", $"{r.MaxAbsError:E1}", r.Status == "ok" ? "ok" : "[red]failed[/]");
        foreach (var c in t.Columns.Skip(3).Take(8)) c.RightAligned();
        t.Columns[1].RightAligned();
        return t;
    }
}
