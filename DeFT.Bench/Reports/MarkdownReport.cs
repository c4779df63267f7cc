using System.Globalization;
using System.Text;
using DeFT.Bench.Measurement;
using DeFT.Bench.Setup;

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
        var l2 = records.Count == 0 ? "?" : L2Text(records[0]);
        sb.AppendLine(inv, $"Device: **{device}**; copy bandwidth {(double.IsNaN(bandwidthGBs) ? "n/a" : bandwidthGBs.ToString("F0", inv) + " GB/s")}; tensor cores {(tensorTflops is double t ? t.ToString("F0", inv) + " TFLOP/s" : "n/a")}; L2 {l2}.{Target(records)}");
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

    private static string Target(IReadOnlyList<RunRecord> records) =>
        records.Select(r => r.PlannerTarget).FirstOrDefault(t => t is not null) is { } target
            ? $" Adaptive planned for parallelism target {target} (SMs x groups per SM x rows per group)."
            : "";

    /// <summary>The L2 policy of a record: how it was evicted, or "warm"; runs saved before the field existed say only "evicted".</summary>
    public static string L2Text(RunRecord record) => record.L2Eviction switch
    {
        "read" => EvictionChoice.Describe(L2Eviction.Read, record.L2EvictionBytes ?? 0),
        "clear" => EvictionChoice.Describe(L2Eviction.Clear, record.L2EvictionBytes ?? 0),
        "none" => EvictionChoice.Describe(L2Eviction.None, 0),
        _ => record.L2,
    };

    /// <summary>Writes <see cref="Render(IReadOnlyList{RunRecord}, double, double?)"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<RunRecord> records, double bandwidthGBs, double? tensorTflops) =>
        File.WriteAllText(path, Render(records, bandwidthGBs, tensorTflops));

    /// <summary>
    /// Renders the records of the <c>decode</c> command: the replays, the attention time of every method over each
    /// whole replay laid out like the paper's Table 4, the speedups over Sequence, and the detailed totals.
    /// </summary>
    public static string Render(IReadOnlyList<DecodeRecord> records)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (records.Count == 0) return "No records.\n";
        var first = records[0];
        var workloads = records.Select(r => r.Workload).Distinct().ToList();
        var methods = records.Select(r => r.Method).Distinct().ToList();
        DecodeRecord? Find(string workload, string method) => records.FirstOrDefault(r => r.Workload == workload && r.Method == method);

        sb.AppendLine(inv, $"Device: **{first.Device}**; {first.Layers} layers of Hq {first.Hq} / Hkv {first.Hkv} / D {first.HeadDim}; every layer runs attention with its step's one plan; L2 not flushed (a decode loop as it runs).{(first.PlannerTarget is { } target ? $" Adaptive planned for parallelism target {target}." : "")}");
        sb.AppendLine();
        foreach (var w in workloads)
        {
            var r = Find(w, methods[0])!;
            sb.AppendLine(inv, $"- `{w}`{(r.Synthetic ? " (synthetic)" : "")}: {r.Description}; {r.Steps} of {r.ReplaySteps} steps, peak {r.PeakTokens} tokens, up to {r.MaxQueries} queries.");
        }
        sb.AppendLine();
        sb.AppendLine("Attention time over the whole replay, seconds (device events, summed over steps and layers; the paper's Table 4 quantity):");
        sb.AppendLine();
        sb.AppendLine("| method | " + string.Join(" | ", workloads) + " |");
        sb.AppendLine("|---|" + string.Concat(workloads.Select(_ => "---:|")));
        foreach (var m in methods)
            sb.AppendLine("| " + m + " | " + string.Join(" | ", workloads.Select(w => Find(w, m) is { } r ? r.AttentionSeconds.ToString("F3", inv) : "")) + " |");
        if (methods.Contains("sequence"))
        {
            sb.AppendLine();
            sb.AppendLine("Attention speedup over Sequence:");
            sb.AppendLine();
            sb.AppendLine("| method | " + string.Join(" | ", workloads) + " |");
            sb.AppendLine("|---|" + string.Concat(workloads.Select(_ => "---:|")));
            foreach (var m in methods.Where(m => m != "sequence"))
                sb.AppendLine("| " + m + " | " + string.Join(" | ", workloads.Select(w => Find(w, m)?.SpeedupVsSequence is double s ? s.ToString("F2", inv) + "×" : "")) + " |");
        }
        sb.AppendLine();
        sb.AppendLine("| workload | method | steps | attention s | plan s | upload s | launch s | vs sequence | KV read GB | max abs err | check |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in records)
        {
            string speedup = r.SpeedupVsSequence is double s ? s.ToString("F2", inv) + "×" : "";
            sb.AppendLine(inv, $"| {r.Workload} | {r.Method} | {r.Steps} | {r.AttentionSeconds:F3} | {r.PlanSeconds:F3} | {r.UploadSeconds:F3} | {r.LaunchSeconds:F3} | {speedup} | {r.KvReadGB:F1} | {r.MaxAbsError:E1} | {r.Status} |");
        }
        return sb.ToString();
    }

    /// <summary>Writes the <c>decode</c> <see cref="Render(IReadOnlyList{DecodeRecord})"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<DecodeRecord> records) => File.WriteAllText(path, Render(records));
}
