using System.ComponentModel;
using DeFT.Core.Planning;
using DeFT.Kernels;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>Options of the commands that take named workloads, tree specs and head configs.</summary>
public class WorkloadSettings : PlannerSettings
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

    /// <inheritdoc/>
    public override ValidationResult Validate() =>
        TreeAttention.SupportedHeadDims.Contains(HeadDim) ? base.Validate()
            : ValidationResult.Error($"--head-dim {HeadDim} is not supported; the kernels exist for {string.Join(", ", TreeAttention.SupportedHeadDims)}.");
}
