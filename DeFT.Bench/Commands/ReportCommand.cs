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

        /// <inheritdoc/>
        public override ValidationResult Validate()
        {
            if (Directory.Exists(JsonPath)) return ValidationResult.Error($"{JsonPath} is a folder, not a file written by `run --json`.");
            if (!File.Exists(JsonPath)) return ValidationResult.Error($"{JsonPath} does not exist (expected a file written by `run --json`).");
            var output = OutputFile.Problem("--md", MarkdownPath) ?? OutputFile.Problem("--png", ChartPath);
            return output is null ? base.Validate() : ValidationResult.Error(output);
        }
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var records = Read(settings.JsonPath);
        AnsiConsole.Write(ConsoleReport.Table(records));
        OutputFile.Write("--md", settings.MarkdownPath, p => MarkdownReport.Write(p, records,
            records.FirstOrDefault()?.BandwidthGbs ?? double.NaN, records.FirstOrDefault()?.TensorTflops));
        OutputFile.Write("--png", settings.ChartPath, p => ChartReport.Write(p, records));
        return 0;
    }

    /// <summary>The run records of <paramref name="path"/>; a file that is not a <c>run --json</c> file is a one-line error naming it.</summary>
    private static List<RunRecord> Read(string path)
    {
        try
        {
            return JsonReport.Read<List<RunRecord>>(path) ?? throw new InvalidDataException($"{path} holds no run records.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path} is not a file written by `run --json` (at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", e);
        }
    }
}
