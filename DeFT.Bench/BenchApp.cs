using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeFT.Bench.Commands;
using Spectre.Console.Cli;

namespace DeFT.Bench;

/// <summary>
/// The bench's command line: its commands, strict parsing (an unknown option or a typo is an error, not ignored),
/// <c>--version</c>, and user errors turned into one-line messages (<see cref="Run"/>).
/// </summary>
public static class BenchApp
{
    /// <summary>Exit code of a user error: a bad option, a file that cannot be read or written, invalid data.</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>
    /// Runs the command line <paramref name="args"/>. A user error prints one line, <c>error: ...</c>, naming the option or
    /// file, on <paramref name="error"/> and returns <see cref="UserErrorExitCode"/>; a bug still ends in a stack trace.
    /// </summary>
    public static int Run(string[] args, TextWriter error)
    {
        try
        {
            return Create().Run(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or CommandParseException or CommandRuntimeException
                                       or NotSupportedException or IOException or UnauthorizedAccessException or InvalidDataException
                                       or JsonException)
        {
            error.WriteLine($"error: {Describe(e, args)}");
            return UserErrorExitCode;
        }
    }

    /// <summary>The one-line message of user error <paramref name="e"/>, naming the option of a value that did not convert.</summary>
    private static string Describe(Exception e, string[] args)
    {
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        // Spectre's conversion errors name the value ("Failed to convert 'x' to Int32."), not the option that took it.
        var value = Regex.Match(message, "^Failed to convert '(.*)' to ");
        if (!value.Success) return message;
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0 && args[i] == value.Groups[1].Value && args[i - 1].StartsWith('-')) return $"{args[i - 1]}: {message}";
            if (args[i].StartsWith('-') && args[i].EndsWith("=" + value.Groups[1].Value)) return $"{args[i].Split('=')[0]}: {message}";
        }
        return message;
    }

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
