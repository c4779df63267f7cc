using System.ComponentModel;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Workloads;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>The <c>run</c> command: checks and times every method on the best accelerator present.</summary>
[Description("Check every method against the reference, then time it (GPU: device events, L2 evicted by a 256 MB read unless --evict says otherwise) against the floors.")]
public sealed class RunCommand : Command<RunCommand.Settings>
{
    /// <summary>Options of <c>run</c>.</summary>
    public sealed class Settings : WorkloadSettings
    {
        [CommandOption("-m|--method <METHOD>")]
        [Description("Method (repeatable): adaptive, flatten, node, sequence. Default: all.")]
        public string[] Methods { get; init; } = Array.Empty<string>();

        [CommandOption("-k|--kernel <KERNEL>")]
        [Description("Partial-attention kernel (repeatable): auto, tensor-core, cuda-core. Default: auto on a GPU (chosen per plan), cuda-core on the CPU.")]
        public string[] Kernels { get; init; } = Array.Empty<string>();

        [CommandOption("--dtype <TYPE>")]
        [Description("Element type of Q, K, V and the output: fp16 (default) or bf16.")]
        [DefaultValue("fp16")]
        public string Dtype { get; init; } = "fp16";

        /// <summary>The element type <see cref="Dtype"/> names.</summary>
        public ElementType Elements => Dtype == "bf16" ? ElementType.BFloat16 : ElementType.Float16;

        [CommandOption("--reps <N>")]
        [Description("Timed repetitions (GPU default 30, CPU 3).")]
        public int? Reps { get; init; }

        [CommandOption("--warmups <N>")]
        [Description("Untimed warm-up calls (GPU default 10, CPU 1).")]
        public int? Warmups { get; init; }

        [CommandOption("--evict <MODE>")]
        [Description("L2 eviction before each timed rep on a GPU: read (default: read a 256 MB buffer, leaving clean lines), clear (memset it: leaves dirty lines the timed call must write back), none (keep L2 warm).")]
        public string? Evict { get; init; }

        [CommandOption("--warm-l2")]
        [Description("Keep L2 warm between reps: the same as --evict none.")]
        public bool WarmL2 { get; init; }

        [CommandOption("--cpu")]
        [Description("Use the CPU accelerator even if a GPU is present.")]
        public bool Cpu { get; init; }

        [CommandOption("--samples <N>")]
        [Description("Queries checked against the double-precision reference per workload. Default 8.")]
        [DefaultValue(8)]
        public int Samples { get; init; } = 8;

        [CommandOption("--md <PATH>")]
        [Description("Write a Markdown table.")]
        public string? MarkdownPath { get; init; }

        [CommandOption("--png <PATH>")]
        [Description("Write a chart of time per workload and method, with the floor marked.")]
        public string? ChartPath { get; init; }

        /// <summary>The L2 eviction asked for (<c>--evict</c>, <c>--warm-l2</c>); <see cref="L2Eviction.Read"/> by default.</summary>
        public L2Eviction Eviction => EvictionChoice.Parse(Evict, WarmL2);

        /// <inheritdoc/>
        public override ValidationResult Validate()
        {
            if (Dtype is not ("fp16" or "bf16")) return ValidationResult.Error($"--dtype {Dtype} is not supported: use fp16 or bf16.");
            if (Reps is < 1) return ValidationResult.Error("--reps must be at least 1.");
            if (Warmups is < 0) return ValidationResult.Error("--warmups must not be negative.");
            if (Samples < 1) return ValidationResult.Error("--samples must be at least 1 (queries checked against the reference).");
            if ((OutputFile.Problem("--md", MarkdownPath) ?? OutputFile.Problem("--png", ChartPath)) is { } output)
                return ValidationResult.Error(output);
            try
            {
                _ = Eviction;
            }
            catch (FormatException e)
            {
                return ValidationResult.Error(e.Message);
            }
            return base.Validate();
        }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ilgpu = Accelerators.CreateContext();
        using var accelerator = Accelerators.CreateBest(ilgpu, settings.Cpu);
        bool gpu = Accelerators.IsGpu(accelerator);
        var workloads = gpu || settings.Workloads.Length > 0 || settings.Trees.Length > 0
            ? WorkloadSelection.Resolve(settings.Workloads, settings.Trees, settings.DataDirectory)
            : WorkloadSelection.CpuQuickSpecs.Select(s => TreeSpec.Build(s, "cpu_quick_" + s)).ToList();
        var headConfigs = !gpu && settings.Heads.Length == 0
            ? new List<HeadConfig> { new(4, 1, 64) }
            : WorkloadSelection.Heads(settings.Heads, settings.HeadDim);
        if (!gpu)
            AnsiConsole.MarkupLine("[yellow]No GPU: running on ILGPU's CPU accelerator with small sizes. CPU times say nothing about GPU speed; this checks correctness and the report.[/]");

        AnsiConsole.MarkupLine("[grey]Measuring floors...[/]");
        double bandwidth = CopyBandwidth.Measure(accelerator, gpu ? 1L << 30 : 16L << 20);
        double? tensor = TensorCoreProbe.Measure(accelerator);
        string device = accelerator.Name;
        double mmaError = MmaCheck.Run(accelerator);
        if (mmaError > 1e-3)
            AnsiConsole.MarkupLineInterpolated($"[red]mma.sync check failed: max |Δ| {mmaError:E2} against a plain matrix product (fragment layout?). Tensor-core results will be wrong.[/]");
        else
            AnsiConsole.MarkupLineInterpolated($"[grey]mma.sync check: max |Δ| {mmaError:E1} against a plain matrix product.[/]");
        // The CPU accelerator has no L2 to evict: its runs are recorded as warm whatever was asked.
        var eviction = gpu ? settings.Eviction : L2Eviction.None;
        AnsiConsole.MarkupLineInterpolated(
            $"Device: [bold]{device}[/] — copy bandwidth {bandwidth:F0} GB/s, tensor cores {(tensor is double t ? $"{t:F0} TFLOP/s" : "n/a")}, L2 {EvictionChoice.Describe(eviction, L2Evictor.DefaultBytes)}");

        var options = new BenchmarkOptions(settings.Warmups ?? (gpu ? 10 : 1), settings.Reps ?? (gpu ? 30 : 3), eviction,
            settings.Samples, settings.PlannerOptions, bandwidth, tensor, device, settings.TargetChoice);
        if (settings.TargetChoice is not null)
            AnsiConsole.MarkupLineInterpolated($"Adaptive plans for target {settings.Target} (per head config and kernel; recorded in every report)");
        var methods = Setup.Methods.Parse(settings.Methods);
        var kernels = KernelChoice.Parse(settings.Kernels) ?? new List<AttentionKernel> { TreeAttention.DefaultKernel(accelerator) };
        using var bench = new MethodBenchmark(accelerator, eviction);
        var records = new List<RunRecord>();
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("benchmark", maxValue: workloads.Count * headConfigs.Count * kernels.Count);
                foreach (var heads in headConfigs)
                    foreach (var kernel in kernels)
                    {
                        var attention = new TreeAttention(accelerator, heads, kernel, new AttentionOptions { Elements = settings.Elements });
                        foreach (var w in workloads)
                        {
                            records.AddRange(bench.Run(attention, w, methods, options,
                                s => task.Description = Markup.Escape($"{s} [{KernelChoice.NameOf(kernel)}]")));
                            task.Increment(1);
                        }
                    }
            });

        AnsiConsole.Write(ConsoleReport.Table(records));
        AnsiConsole.MarkupLine(CheckSummary.Line(records));
        OutputFile.Write("--json", settings.JsonPath, p => JsonReport.Write(p, records));
        OutputFile.Write("--md", settings.MarkdownPath, p => MarkdownReport.Write(p, records, bandwidth, tensor));
        OutputFile.Write("--png", settings.ChartPath, p => ChartReport.Write(p, records));
        return records.All(r => r.Status == "ok") ? 0 : 1;
    }
}
