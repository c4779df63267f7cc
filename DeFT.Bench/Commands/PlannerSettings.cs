using System.ComponentModel;
using DeFT.Core.Planning;
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

    [CommandOption("--data <DIR>")]
    [Description("Folder of the real trees (speculative/, reasoning/). Default: shared/data found above the working directory.")]
    public string? DataDirectory { get; init; }

    [CommandOption("--json <PATH>")]
    [Description("Write the records as JSON.")]
    public string? JsonPath { get; init; }

    /// <summary>The planner options given.</summary>
    public PlannerOptions PlannerOptions => new() { BlockTokens = BlockTokens, MaxQueriesPerItem = MaxQueries };
}
