using System.ComponentModel;
using System.Text.Json;
using DeFT.Bench.Reports;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>The <c>report</c> command: renders the table, Markdown and charts of a saved <c>run --json</c> file.</summary>
[Description("Render the console table, Markdown and charts of a saved `run --json` file (e.g. one copied back from a GPU machine).")]
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    /// <summary>Options of <c>report</c>.</summary>
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<JSON>")]
        [Description("A file written by `run --json`.")]
        public string JsonPath { get; init; } = "";

        [CommandOption("--md <PATH>")]
        [Description("Write a Markdown table.")]
        public string? MarkdownPath { get; init; }

        [CommandOption("--png <PATH>")]
        [Description("Write the chart (one file per head config when there are several).")]
        public string? ChartPath { get; init; }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var records = JsonReport.Read<List<RunRecord>>(settings.JsonPath)
            ?? throw new InvalidDataException($"{settings.JsonPath} holds no run records.");
        AnsiConsole.Write(ConsoleReport.Table(records));
        if (settings.MarkdownPath is not null) MarkdownReport.Write(settings.MarkdownPath, records,
            records.FirstOrDefault()?.BandwidthGbs ?? double.NaN, records.FirstOrDefault()?.TensorTflops);
        if (settings.ChartPath is not null)
            foreach (var file in ChartReport.Write(settings.ChartPath, records)) AnsiConsole.MarkupLineInterpolated($"[grey]chart written to {file}[/]");
        return 0;
    }
}
