using System.ComponentModel;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>
/// The <c>decode</c> command: replays the paper's three decode workloads step by step with a synthetic model and
/// reports, per method, the totals of the paper's Table 4 (attention time over the whole generation) plus the
/// host's planning, upload and launch time.
/// </summary>
[Description("Replay few-shot, reasoning and speculative decoding step by step (synthetic model): total attention, planning and upload time per method, as in the paper's Table 4.")]
public sealed class DecodeCommand : Command<DecodeCommand.Settings>
{
    /// <summary>Options of <c>decode</c>.</summary>
    public sealed class Settings : PlannerSettings
    {
        [CommandOption("-w|--workload <NAME>")]
        [Description("Replay family (repeatable): fewshot, reasoning, speculative, pat (the 6-level PAT tree of 279k tokens, its 1024 leaves decoding; only when named). Default: the first three.")]
        public string[] Workloads { get; init; } = Array.Empty<string>();

        [CommandOption("-m|--method <METHOD>")]
        [Description("Method (repeatable): adaptive, flatten, node, sequence. Default: all.")]
        public string[] Methods { get; init; } = Array.Empty<string>();

        [CommandOption("--layers <N>")]
        [Description("Layers per step, each running attention with the step's plan. Default 32 on a GPU, 2 on the CPU.")]
        public int? Layers { get; init; }

        [CommandOption("--heads <HQ:HKV>")]
        [Description("Head config. Default 32:8 on a GPU, 4:1 on the CPU.")]
        public string? Heads { get; init; }

        [CommandOption("--head-dim <D>")]
        [Description("Head dimension. Default 128 on a GPU, 64 on the CPU.")]
        public int? HeadDim { get; init; }

        [CommandOption("--steps <N>")]
        [Description("At most this many steps per replay. Default: all (few-shot 400, reasoning every iteration of its template, speculative every recorded step); 3 on the CPU.")]
        public int? Steps { get; init; }

        [CommandOption("--prompt <N>")]
        [Description("Prompt tokens of every replay. Default: few-shot 4000, speculative 1000, reasoning the template's own; 64 on the CPU.")]
        public int? Prompt { get; init; }

        [CommandOption("--branches <B>")]
        [Description("Few-shot branch counts (repeatable). Default 20, 30, 50; 2, 3, 5 on the CPU.")]
        public int[] Branches { get; init; } = Array.Empty<int>();

        [CommandOption("--tree-size <T>")]
        [Description("Speculative token-tree sizes (repeatable): 32, 64, 128, 256. Default all four; 32 on the CPU.")]
        public int[] TreeSizes { get; init; } = Array.Empty<int>();

        [CommandOption("--samples <N>")]
        [Description("Queries of each replay's last step checked against the double-precision reference. Default 8.")]
        [DefaultValue(8)]
        public int Samples { get; init; } = 8;

        [CommandOption("--plan-on-device")]
        [Description("Also run Flatten, Node and Adaptive (the latter without --target) planned on the GPU (DevicePlanner), as rows flatten@device, node@device and adaptive@device: their plan time is the whole device planning to completion (tree delta upload, kernels, header read), their upload time 0.")]
        public bool PlanOnDevice { get; init; }

        [CommandOption("--cpu")]
        [Description("Use the CPU accelerator even if a GPU is present.")]
        public bool Cpu { get; init; }

        [CommandOption("--md <PATH>")]
        [Description("Write Markdown tables (Table 4 layout and details).")]
        public string? MarkdownPath { get; init; }

        /// <inheritdoc/>
        public override ValidationResult Validate()
        {
            if (Layers < 1) return ValidationResult.Error("--layers must be at least 1.");
            if (Steps < 1) return ValidationResult.Error("--steps must be at least 1.");
            if (Prompt < 1) return ValidationResult.Error("--prompt must be at least 1.");
            if (Branches.Any(b => b < 1)) return ValidationResult.Error("--branches must be at least 1.");
            if (Samples < 1) return ValidationResult.Error("--samples must be at least 1.");
            if (OutputFile.Problem("--md", MarkdownPath) is { } output) return ValidationResult.Error(output);
            return base.Validate();
        }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ilgpu = Accelerators.CreateContext();
        using var accelerator = Accelerators.CreateBest(ilgpu, settings.Cpu);
        bool gpu = Accelerators.IsGpu(accelerator);
        int headDim = settings.HeadDim ?? (gpu ? 128 : 64);
        var heads = settings.Heads is not null ? WorkloadSelection.Heads(new[] { settings.Heads }, headDim)[0]
            : gpu ? new HeadConfig(32, 8, headDim) : new HeadConfig(4, 1, headDim);
        var workloads = DecodeWorkloads.Build(settings.Workloads, settings.Prompt ?? (gpu ? null : 64),
            settings.Branches.Length > 0 ? settings.Branches : gpu ? DecodeWorkloads.PaperBranches : new[] { 2, 3, 5 },
            settings.TreeSizes.Length > 0 ? settings.TreeSizes : gpu ? DecodeWorkloads.PaperTreeSizes : new[] { 32 },
            settings.DataDirectory);
        var attention = new TreeAttention(accelerator, heads);
        var options = new DecodeOptions(settings.Layers ?? (gpu ? 32 : 2), settings.Steps ?? (gpu ? null : 3), settings.Samples,
            settings.PlannerOptions with { CostModel = PlanCostModel.For(heads), Target = settings.TargetChoice?.Resolve(heads, attention) }, accelerator.Name,
            settings.PlanOnDevice);
        var methods = Setup.Methods.Parse(settings.Methods);

        if (!gpu)
            AnsiConsole.MarkupLine("[yellow]No GPU: replaying on ILGPU's CPU accelerator with reduced sizes (prompt 64, 3 steps, 2 layers, heads 4:1, D 64, few-shot b 2/3/5, one 32-candidate tree unless given). " +
                "CPU times mean nothing; this checks the loop, its correctness and the report.[/]");
        AnsiConsole.MarkupLineInterpolated($"Device: [bold]{accelerator.Name}[/] — {options.Layers} layers of {heads}; L2 not flushed (a decode loop as it runs)");
        foreach (var w in workloads)
            AnsiConsole.MarkupLineInterpolated(
                $"  [bold]{w.Name}[/]{(w.Synthetic ? " (synthetic)" : "")}: {w.Description}; {Math.Min(w.Replay.Steps, options.MaxSteps ?? int.MaxValue)} of {w.Replay.Steps} steps");

        if (options.Planner.Target is { } target) AnsiConsole.MarkupLineInterpolated($"Adaptive plans for target {target} (SMs x groups per SM x rows per group)");
        var bench = new DecodeBenchmark(accelerator);
        var records = new List<DecodeRecord>();
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("decode", maxValue: workloads.Count);
                foreach (var w in workloads)
                {
                    records.AddRange(bench.Run(attention, w, methods, options, s => task.Description = Markup.Escape(s)));
                    task.Increment(1);
                }
            });

        AnsiConsole.Write(ConsoleReport.Table(records));
        AnsiConsole.MarkupLine(CheckSummary.Line(records));
        OutputFile.Write("--json", settings.JsonPath, p => JsonReport.Write(p, records));
        OutputFile.Write("--md", settings.MarkdownPath, p => MarkdownReport.Write(p, records));
        return records.All(r => r.Status == "ok") ? 0 : 1;
    }
}
