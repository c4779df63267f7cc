using System.Globalization;
using System.Text;

namespace DeFT.Bench.Reports;

/// <summary>A Markdown table of a run, for BENCHMARKS.md.</summary>
public static class MarkdownReport
{
    /// <summary>Renders the records.</summary>
    public static string Render(IReadOnlyList<RunRecord> records, double bandwidthGBs, double? tensorTflops)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var device = records.Count > 0 ? records[0].Device : "?";
        var l2 = records.Count > 0 ? records[0].L2 : "?";
        sb.AppendLine(inv, $"Device: **{device}**; copy bandwidth {bandwidthGBs:F0} GB/s; tensor cores {(tensorTflops is double t ? t.ToString("F0", inv) + " TFLOP/s" : "n/a")}; L2 {l2}.");
        sb.AppendLine();
        sb.AppendLine("| workload | heads | method | kernel | median µs | p10–p90 µs | memory floor µs | compute floor µs | × floor | vs sequence | max abs err | KV read MB |");
        sb.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in records)
        {
            string timing = r.Status == "ok" ? string.Create(inv, $"{r.MedianUs:F1} | {r.P10Us:F1}–{r.P90Us:F1}") : "failed | ";
            string compute = r.ComputeFloorUs is double c ? c.ToString("F1", inv) : "n/a";
            string ratio = r.FloorRatio is double f ? f.ToString("F2", inv) : "";
            string speedup = r.SpeedupVsSequence is double s ? s.ToString("F2", inv) + "×" : "";
            sb.AppendLine(inv, $"| {r.Workload}{(r.Synthetic ? " (synthetic)" : "")} | {r.Hq}:{r.Hkv}/{r.HeadDim} | {r.Method} | {r.Kernel} | {timing} | {r.MemoryFloorUs:F1} | {compute} | {ratio} | {speedup} | {r.MaxAbsError:E1} | {r.KvBytesRead / 1e6:F1} |");
        }
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<RunRecord> records, double bandwidthGBs, double? tensorTflops) =>
        File.WriteAllText(path, Render(records, bandwidthGBs, tensorTflops));
}
