using System.ComponentModel;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core.Planning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>Options every command that plans shares: the planner's limits, where the real trees are, and JSON output.</summary>
public class PlannerSettings : CommandSettings
{
    [CommandOption("--block-tokens <N>")]
    [Description("Planner: largest KV block of a work item. Default 256.")]
    [DefaultValue(256)]
    public int BlockTokens { get; init; } = 256;

    [CommandOption("--max-queries <N>")]
    [Description("Planner: largest number of queries in a work item. Default 64.")]
    [DefaultValue(64)]
    public int MaxQueries { get; init; } = 64;

    [CommandOption("--target <TARGET>")]
    [Description("Planner: the device Adaptive cuts its plans for. none (default: BlockTokens alone, as before), device (run, decode: this GPU's SMs and kernel occupancy), h200 (132 SMs x 3 groups x 64 rows), or SMS, SMSxGROUPS or SMSxGROUPSxROWS such as 132x3x64.")]
    public string? Target { get; init; }

    [CommandOption("--data <DIR>")]
    [Description("Folder of the real trees (speculative/, reasoning/). Default: shared/data found above the working directory.")]
    public string? DataDirectory { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the records as JSON.")]
    public string? JsonPath { get; init; }

    /// <summary>The planner options given (without a target: <see cref="TargetChoice"/> resolves it per head config and accelerator).</summary>
    public PlannerOptions PlannerOptions => new() { BlockTokens = BlockTokens, MaxQueriesPerItem = MaxQueries };

    /// <summary>
    /// A one-line warning when <c>--data</c> (or, without it, <c>$DEFT_DATA</c>) points at a folder that does not exist or holds
    /// none of the real trees' files, so synthetic stand-ins replace them; null otherwise (or when neither is set).
    /// </summary>
    public string? DataWarning()
    {
        var variable = DeFT.Workloads.DataDirectory.EnvironmentVariable;
        var (source, folder) = DataDirectory is not null ? ("--data", DataDirectory) : ("$" + variable, Environment.GetEnvironmentVariable(variable));
        if (string.IsNullOrEmpty(folder)) return null;
        return DeFT.Workloads.DataDirectory.Problem(folder) is { } problem
            ? $"{source} {folder} {problem}: synthetic stand-ins replace the real trees."
            : null;
    }

    /// <summary>The <c>--target</c> given, or null for none.</summary>
    public TargetChoice? TargetChoice => TargetChoice.Parse(Target);

    /// <inheritdoc/>
    public override ValidationResult Validate()
    {
        if (BlockTokens < 1) return ValidationResult.Error("--block-tokens must be at least 1.");
        if (MaxQueries < 1) return ValidationResult.Error("--max-queries must be at least 1.");
        if (OutputFile.Problem("--json", JsonPath) is { } json) return ValidationResult.Error(json);
        // A warning, not an error: the command still runs, on synthetic trees, and says so in its reports.
        if (DataWarning() is { } warning) AnsiConsole.MarkupLineInterpolated($"[yellow]warning: {warning}[/]");
        try
        {
            _ = TargetChoice;
        }
        catch (FormatException e)
        {
            return ValidationResult.Error(e.Message);
        }
        return base.Validate();
    }
}
