using System.ComponentModel;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Planning;
using DeFT.Workloads;
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

        [CommandOption("--device")]
        [Description("Also check and time Flatten, Node and Adaptive (without a target: with --target, the 'adaptive (no target)' row) on the best accelerator (the device plan must equal the host plan, else the command fails): 'flatten@device' plans on the device (DevicePlanner, to completion: query upload, kernels, header read; the tree's mirror is current), 'flatten+upload' plans on the host and uploads (to completion).")]
        public bool Device { get; init; }

        [CommandOption("--candidates <N>")]
        [Description("With --target: also list the N best chunk lengths Adaptive tried, with their modelled groups and times (and BlockTokens').")]
        public int Candidates { get; init; }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var records = Build(settings);
        foreach (var r in records) AnsiConsole.Write(Table(r));
        if (settings.Candidates > 0 && settings.TargetChoice is { } choice)
            foreach (var w in WorkloadSelection.Resolve(settings.Workloads, settings.Trees, settings.DataDirectory))
                foreach (var heads in WorkloadSelection.Heads(settings.Heads, settings.HeadDim))
                    AnsiConsole.Write(CandidateTable(w, heads, settings.PlannerOptions with { CostModel = PlanCostModel.For(heads), Target = choice.Resolve(heads) },
                        settings.Candidates));
        OutputFile.Write("--json", settings.JsonPath, p =>
        {
            if (records.Count == 1) JsonReport.Write(p, records[0]);
            else JsonReport.Write(p, records);
        });
        return 0;
    }

    /// <summary>
    /// Plans every selected workload with every selected method and head config. With a target (<c>--target</c>), every
    /// plan is also put through the <see cref="PlanTimeModel"/> on it, and Adaptive is listed twice: planned for the
    /// target, and as it plans without one (<c>adaptive (no target)</c>, BlockTokens alone), for a before/after.
    /// </summary>
    public static List<PlanRecord> Build(Settings settings)
    {
        using var device = settings.Device ? new DevicePlanTiming() : null;
        var workloads = WorkloadSelection.Resolve(settings.Workloads, settings.Trees, settings.DataDirectory);
        var methods = Setup.Methods.Parse(settings.Methods);
        var targetChoice = settings.TargetChoice;
        var records = new List<PlanRecord>();
        foreach (var w in workloads)
            foreach (var heads in WorkloadSelection.Heads(settings.Heads, settings.HeadDim))
            {
                var cost = PlanCostModel.For(heads);
                var target = targetChoice?.Resolve(heads);
                var options = settings.PlannerOptions with { CostModel = cost, Target = target };
                var rows = new List<PlanMethodRecord>();
                foreach (var method in methods)
                {
                    void Add(string name, PlannerOptions planned)
                    {
                        rows.Add(Row(name, w, heads, method, planned, target));
                        if (device is not null && DevicePlanner.Supports(method, planned)) rows.AddRange(device.Rows(rows[^1], w, heads, method, planned));
                    }
                    Add(Setup.Methods.NameOf(method), options);
                    if (method == PlanMethod.Adaptive && target is not null) Add(Setup.Methods.NameOf(method) + " (no target)", options with { Target = null });
                }
                var baseline = rows.FirstOrDefault(r => r.Method == "sequence");
                if (baseline is not null)
                    rows = rows.Select(r => r with { KvReductionPercent = 100.0 * (1 - (double)r.KvBytesRead / baseline.KvBytesRead) }).ToList();
                records.Add(new PlanRecord(w.Name, new HeadsRecord(heads.QueryHeads, heads.KvHeads, heads.HeadDim),
                    w.Queries.Length, w.Tree.TokenCount, w.Synthetic, rows, target?.ToString()));
            }
        return records;
    }

    private static PlanMethodRecord Row(string name, Workload w, HeadConfig heads, PlanMethod method, PlannerOptions options, ParallelismTarget? target)
    {
        var (plan, planUs) = HostTimer.Median(() => TreePlanner.Plan(w.Tree, w.Queries, method, options));
        var s = PlanStatistics.Compute(plan, heads, partialElementBytes: TreeAttention.PartialElementBytes(ElementType.Float16));
        var row = new PlanMethodRecord(name, s.KvBytesRead, s.UniqueKvBytes, null,
            s.PartialBytesWritten, s.PartialBytesRead, s.WorkItems, s.PaddedPairs, s.Flops, planUs);
        if (target is null) return row;
        var model = PlanTimeModel.Estimate(plan, target, options.CostModel);
        int? chunk = method != PlanMethod.Adaptive ? null
            : options.Target is null ? options.BlockTokens
            : AdaptivePlanner.ChooseChunkTokens(new TreeLayout(w.Tree, w.Queries), options).ChunkTokens;
        return row with { Groups = model.Groups, Waves = model.Waves, ModelMicroseconds = model.TotalMicroseconds, ChunkTokens = chunk };
    }

    private static Table CandidateTable(Workload w, HeadConfig heads, PlannerOptions options, int count)
    {
        var layout = new TreeLayout(w.Tree, w.Queries);
        var all = AdaptivePlanner.Candidates(layout, options);
        int chosen = AdaptivePlanner.ChooseChunkTokens(layout, options).ChunkTokens;
        var shown = all.OrderBy(c => c.Estimate.TotalMicroseconds).Take(count).ToList();
        if (!shown.Any(c => c.ChunkTokens == options.BlockTokens)) shown.Add(all[0]);
        var t = FittedTable.Create(0, "chunk", "groups", "waves", "pass µs", "partials µs", "model µs")
            .Title($"{w.Name} {heads}: Adaptive's candidate chunk lengths on {options.Target} ({all.Count} tried; * chosen, BlockTokens {options.BlockTokens} = no target)");
        foreach (var (chunk, e) in shown)
            t.AddRow($"{chunk}{(chunk == chosen ? " *" : "")}", $"{e.Groups:N0}", $"{e.Waves:F2}", $"{e.PassMicroseconds:F0}", $"{e.PartialMicroseconds:F1}", $"{e.TotalMicroseconds:F0}");
        return t;
    }

    /// <summary>The IO model of <paramref name="r"/>: every column where <paramref name="width"/> (default: the console's) allows, else the main ones.</summary>
    internal static Table Table(PlanRecord r, int? width = null) =>
        FittedTable.Choose(Table(r, compact: false), () => Table(r, compact: true), width);

    private static Table Table(PlanRecord r, bool compact)
    {
        bool model = r.Target is not null;
        var headers = compact
            ? new List<string> { "method", "KV MB", "vs seq", "partial MB", "items", "plan µs" }
            : new List<string> { "method", "KV read (MB)", "vs sequence", "partials written (MB)", "work items", "padded pairs", "GFLOP", "plan (µs)" };
        if (model) headers.AddRange(compact ? ["model µs"] : ["chunk", "groups", "waves", "model µs"]);
        var t = FittedTable.Create(1, headers.ToArray())
            .Title($"{r.Workload}{(r.Synthetic ? " (synthetic)" : "")} — {r.Queries} queries, {r.TreeTokens:N0} tokens, Hq {r.Heads.Q} / Hkv {r.Heads.Kv} / D {r.Heads.Dim}{(r.Target is null ? "" : $"; target {r.Target} (SMs x groups per SM x rows per group)")}");
        foreach (var m in r.Methods)
        {
            var cells = new List<string>
            {
                Markup.Escape(m.Method), $"{m.KvBytesRead / 1e6:F2}", m.Method == "sequence" || m.KvReductionPercent is null ? "—" : $"-{m.KvReductionPercent:F1}%",
                $"{m.PartialBytesWritten / 1e6:F2}", $"{m.WorkItems:N0}",
            };
            if (!compact) cells.AddRange([$"{m.PaddedPairs:N0}", $"{m.Flops / 1e9:F2}"]);
            cells.Add($"{m.PlanMicroseconds:F0}");
            if (model && !compact) cells.AddRange([m.ChunkTokens is int c ? $"{c}" : "", $"{m.Groups:N0}", $"{m.Waves:F2}"]);
            if (model) cells.Add($"{m.ModelMicroseconds:F0}");
            t.AddRow(cells.ToArray());
        }
        return t;
    }
}
