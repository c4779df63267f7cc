using System.ComponentModel;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core.Planning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>The <c>plan</c> command: the IO model of every method side by side, no GPU needed.</summary>
[Description("Print the IO model (KV bytes read, partial bytes, work items, FLOPs) of each method per workload.")]
public sealed class PlanCommand : Command<PlanCommand.Settings>
{
    /// <summary>Options of <c>plan</c>.</summary>
    public sealed class Settings : WorkloadSettings
    {
        [CommandOption("-m|--method <METHOD>")]
        [Description("Method (repeatable): adaptive, flatten, node, sequence. Default: all.")]
        public string[] Methods { get; init; } = Array.Empty<string>();
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var records = Build(settings);
        foreach (var r in records) AnsiConsole.Write(Table(r));
        if (settings.JsonPath is not null)
        {
            if (records.Count == 1) JsonReport.Write(settings.JsonPath, records[0]);
            else JsonReport.Write(settings.JsonPath, records);
            AnsiConsole.MarkupLineInterpolated($"[grey]JSON written to {settings.JsonPath}[/]");
        }
        return 0;
    }

    /// <summary>Plans every selected workload with every selected method and head config.</summary>
    public static List<PlanRecord> Build(Settings settings)
    {
        var workloads = WorkloadSelection.Resolve(settings.Workloads, settings.Trees, settings.DataDirectory);
        var methods = Setup.Methods.Parse(settings.Methods);
        var records = new List<PlanRecord>();
        foreach (var w in workloads)
            foreach (var heads in WorkloadSelection.Heads(settings.Heads, settings.HeadDim))
            {
                var rows = new List<PlanMethodRecord>();
                foreach (var method in methods)
                {
                    var (plan, planUs) = HostTimer.Median(() => TreePlanner.Plan(w.Tree, w.Queries, method, settings.PlannerOptions with { CostModel = PlanCostModel.For(heads) }));
                    var s = PlanStatistics.Compute(plan, heads);
                    rows.Add(new PlanMethodRecord(Setup.Methods.NameOf(method), s.KvBytesRead, s.UniqueKvBytes, null,
                        s.PartialBytesWritten, s.PartialBytesRead, s.WorkItems, s.PaddedPairs, s.Flops, planUs));
                }
                var baseline = rows.FirstOrDefault(r => r.Method == "sequence");
                if (baseline is not null)
                    rows = rows.Select(r => r with { KvReductionPercent = 100.0 * (1 - (double)r.KvBytesRead / baseline.KvBytesRead) }).ToList();
                records.Add(new PlanRecord(w.Name, new HeadsRecord(heads.QueryHeads, heads.KvHeads, heads.HeadDim),
                    w.Queries.Length, w.Tree.TokenCount, w.Synthetic, rows));
            }
        return records;
    }

    private static Table Table(PlanRecord r)
    {
        var t = new Table().Border(TableBorder.Rounded)
            .Title($"{r.Workload}{(r.Synthetic ? " (synthetic)" : "")} — {r.Queries} queries, {r.TreeTokens:N0} tokens, Hq {r.Heads.Q} / Hkv {r.Heads.Kv} / D {r.Heads.Dim}");
        t.AddColumns("method", "KV read (MB)", "vs sequence", "partials written (MB)", "work items", "padded pairs", "GFLOP", "plan (µs)");
        foreach (var m in r.Methods)
            t.AddRow(m.Method, $"{m.KvBytesRead / 1e6:F2}", m.Method == "sequence" || m.KvReductionPercent is null ? "—" : $"-{m.KvReductionPercent:F1}%", $"{m.PartialBytesWritten / 1e6:F2}",
                $"{m.WorkItems:N0}", $"{m.PaddedPairs:N0}", $"{m.Flops / 1e9:F2}", $"{m.PlanMicroseconds:F0}");
        foreach (var c in t.Columns.Skip(1)) c.RightAligned();
        return t;
    }
}
