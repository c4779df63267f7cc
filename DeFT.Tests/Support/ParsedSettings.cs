using Spectre.Console.Cli;

namespace DeFT.Tests.Support;

/// <summary>Parses and validates a command's settings through Spectre, as the bench would, without running the command.</summary>
internal static class ParsedSettings
{
    /// <summary>The <typeparamref name="TSettings"/> Spectre builds from <paramref name="args"/> (its errors propagate).</summary>
    public static TSettings Of<TSettings>(string[] args) where TSettings : CommandSettings
    {
        var app = new CommandApp<Capture<TSettings>>();
        app.Configure(c => c.PropagateExceptions());
        lock (Capture<TSettings>.Gate)
        {
            Capture<TSettings>.Last = null;
            app.Run(args).Should().Be(0);
            return Capture<TSettings>.Last ?? throw new InvalidOperationException("the command did not run");
        }
    }

    /// <summary>Runs nothing: keeps the settings Spectre parsed and validated.</summary>
    private sealed class Capture<TSettings> : Command<TSettings> where TSettings : CommandSettings
    {
        public static readonly object Gate = new();
        public static TSettings? Last;

        public override int Execute(CommandContext context, TSettings settings, CancellationToken cancellationToken)
        {
            Last = settings;
            return 0;
        }
    }
}
