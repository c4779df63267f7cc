using DeFT.Bench;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;

// Redirected output (CI logs, remote runs) would otherwise squeeze the tables to 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);

var app = BenchApp.Create();
try
{
    return app.Run(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or CommandParseException or CommandRuntimeException or NotSupportedException
                               or IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
