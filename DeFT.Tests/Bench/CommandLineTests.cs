using DeFT.Bench;
using Spectre.Console.Cli;

namespace DeFT.Tests.Bench;

/// <summary>
/// The bench's command line refuses what it cannot honour before any work starts: unknown options (typos) and out-of-range
/// values, each with a message naming the option; <c>--version</c> answers without running the benchmark.
/// </summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "plan", "--worklaod", "A_fewshot_b20" }, "worklaod")]
    [InlineData(new[] { "run", "--cpu", "--reps", "-1" }, "--reps")]
    [InlineData(new[] { "run", "--cpu", "--warmups", "-2" }, "--warmups")]
    [InlineData(new[] { "run", "--cpu", "--samples", "0" }, "--samples")]
    [InlineData(new[] { "plan", "--head-dim", "100" }, "--head-dim 100")]
    [InlineData(new[] { "plan", "--block-tokens", "0" }, "--block-tokens")]
    public void Bad_command_lines_are_refused_naming_the_option(string[] args, string named)
    {
        var run = () => BenchApp.Create().Run(args);
        run.Should().Throw<Exception>()
            .Where(e => e is CommandParseException || e is CommandRuntimeException, "a parse or validation error, not a crash")
            .Which.Message.Should().Contain(named);
    }

    [Fact]
    public void Version_answers_without_running_anything()
    {
        BenchApp.Version.Should().NotBeNullOrWhiteSpace();
        BenchApp.Create().Run(["--version"]).Should().Be(0);
    }
}
