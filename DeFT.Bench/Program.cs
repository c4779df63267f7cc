using DeFT.Bench.Commands;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;

// Redirected output (CI logs, remote runs) would otherwise squeeze the tables to 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);

var app = new CommandApp<RunCommand>();
app.Configure(config =>
{
    config.SetApplicationName("DeFT.Bench");
    config.AddCommand<RunCommand>("run").WithDescription("Time every method on the best accelerator (default command).");
    config.AddCommand<DecodeCommand>("decode");
    config.AddCommand<PlanCommand>("plan");
    config.AddCommand<PtxCommand>("ptx");
    config.AddCommand<ReportCommand>("report");
    config.AddCommand<CheckCommand>("check");
    config.PropagateExceptions();
});
try
{
    return app.Run(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or CommandParseException or CommandRuntimeException or NotSupportedException or IOException or InvalidDataException or JsonException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
