using System.Reflection;
using DeFT.Bench.Commands;
using Spectre.Console.Cli;

namespace DeFT.Bench;

/// <summary>
/// The bench's command line: its commands, strict parsing (an unknown option or a typo is an error, not ignored),
/// <c>--version</c>, and exceptions propagated to <c>Program</c>, which turns user errors into one-line messages.
/// </summary>
public static class BenchApp
{
    /// <summary>The configured application.</summary>
    public static CommandApp<RunCommand> Create()
    {
        var app = new CommandApp<RunCommand>();
        app.Configure(config =>
        {
            config.SetApplicationName("DeFT.Bench");
            config.SetApplicationVersion(Version);
            config.UseStrictParsing();
            config.AddCommand<RunCommand>("run").WithDescription("Time every method on the best accelerator (default command).");
            config.AddCommand<DecodeCommand>("decode");
            config.AddCommand<PlanCommand>("plan");
            config.AddCommand<PtxCommand>("ptx");
            config.AddCommand<ReportCommand>("report");
            config.AddCommand<CheckCommand>("check");
            config.PropagateExceptions();
        });
        return app;
    }

    /// <summary>The bench's informational version.</summary>
    public static string Version { get; } =
        typeof(BenchApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
