using System.ComponentModel;
using DeFT.Core.Planning;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>Options shared by the commands that take workloads and head configs.</summary>
public class WorkloadSettings : CommandSettings
{
    [CommandOption("-w|--workload <NAME>")]
    [Description("Named workload (repeatable): A_fewshot_b20, B_spec_P4k_T64, C_reason_sorting, D_pat_<spec>, ... Default: all named workloads.")]
    public string[] Workloads { get; init; } = Array.Empty<string>();

    [CommandOption("--tree <SPEC>")]
    [Description("Tree spec such as 1,10_4096,416 (repeatable): n_l nodes of c_l tokens per level; the leaves are queries.")]
    public string[] Trees { get; init; } = Array.Empty<string>();

    [CommandOption("--heads <HQ:HKV>")]
    [Description("Head config (repeatable). Default 32:8.")]
    public string[] Heads { get; init; } = Array.Empty<string>();

    [CommandOption("--head-dim <D>")]
    [Description("Head dimension. Default 128.")]
    [DefaultValue(128)]
    public int HeadDim { get; init; } = 128;

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
