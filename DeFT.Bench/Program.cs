using DeFT.Bench;
using Spectre.Console;

// Redirected output (CI logs, remote runs) would otherwise squeeze the tables to 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 200);

return BenchApp.Run(args, Console.Error);
