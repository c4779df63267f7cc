using System.ComponentModel;
using DeFT.Bench.Measurement;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>The <c>check</c> command: branch isolation, fp16-edge numerics, safe misuse and engine-style decode steps on the best accelerator.</summary>
[Description("Check branch isolation (NaN/Inf in other branches), fp16-edge numerics, misuse exceptions and engine-style decode steps (fp16/bf16, head dims 64-256, soft cap, device-side KV writes on a stream) on the best accelerator; exits non-zero on a failure.")]
public sealed class CheckCommand : Command<CheckCommand.Settings>
{
    /// <summary>Options of <c>check</c>.</summary>
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--cpu")]
        [Description("Use the CPU accelerator even if a GPU is present.")]
        public bool Cpu { get; init; }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ilgpu = Accelerators.CreateContext();
        using var accelerator = Accelerators.CreateBest(ilgpu, settings.Cpu);
        AnsiConsole.MarkupLineInterpolated($"Checks on [bold]{accelerator.Name}[/]");
        var results = new List<IsolationCheck.Result>();
        AttentionKernel[] kernels = [AttentionKernel.CudaCore, AttentionKernel.TensorCore];
        HeadConfig[] heads = Accelerators.IsGpu(accelerator) ? [new(2, 1, 64), new(32, 8, 128)] : [new(2, 1, 64)];
        foreach (var kernel in kernels)
        {
            foreach (var method in Enum.GetValues<PlanMethod>())
            {
                foreach (var h in heads) results.Add(IsolationCheck.Neighbours(accelerator, kernel, h, method));
                results.Add(IsolationCheck.UnrelatedTokens(accelerator, kernel, new HeadConfig(4, 2, 64), method, seed: 3));
            }
            results.Add(IsolationCheck.Fp16Edge(accelerator, kernel));
            results.AddRange(MisuseCheck.Run(accelerator, kernel));
        }
        // Engine-style decode steps: element types, head dims, custom scale and soft cap, device-side KV writes on a stream.
        var capped = new ScoreTransform(scale: 0.07, softCap: 30);
        HeadConfig[] engineHeads = Accelerators.IsGpu(accelerator)
            ? [new(32, 8, 256), new(32, 8, 128), new(16, 4, 96), new(32, 8, 64)]
            : [new(4, 2, 256), new(4, 2, 96)];
        foreach (var h in engineHeads)
            foreach (var elements in Enum.GetValues<ElementType>())
                results.Add(EngineCheck.DecodeSteps(accelerator, h, elements, capped));
        results.Add(EngineCheck.DecodeSteps(accelerator, engineHeads[0], ElementType.BFloat16, capped, pageTokens: 16));
        results.Add(EngineCheck.ForeignPointers(accelerator));
        var table = new Table().AddColumns("check", "result", "detail");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Name), r.Passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(r.Detail));
        AnsiConsole.Write(table);
        int failed = results.Count(r => !r.Passed);
        AnsiConsole.MarkupLineInterpolated($"{results.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
