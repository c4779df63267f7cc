using DeFT.Bench;
using DeFT.Bench.Commands;
using DeFT.Kernels;
using DeFT.Tests.Support;
using Spectre.Console.Cli;

namespace DeFT.Tests.Bench;

/// <summary>
/// The bench's command line refuses what it cannot honour before any work starts: unknown options (typos), out-of-range
/// values and unusable files, each with a one-line message naming the option or file and a non-zero exit; <c>--version</c>
/// answers without running the benchmark.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deft-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData(new[] { "plan", "--worklaod", "A_fewshot_b20" }, "worklaod")]
    [InlineData(new[] { "run", "--cpu", "--reps", "-1" }, "--reps")]
    [InlineData(new[] { "run", "--cpu", "--warmups", "-2" }, "--warmups")]
    [InlineData(new[] { "run", "--cpu", "--samples", "0" }, "--samples")]
    [InlineData(new[] { "plan", "--head-dim", "100" }, "--head-dim 100")]
    [InlineData(new[] { "plan", "--block-tokens", "0" }, "--block-tokens")]
    [InlineData(new[] { "plan", "--json", "" }, "--json")]
    public void Bad_command_lines_are_refused_naming_the_option(string[] args, string named)
    {
        var run = () => BenchApp.Create().Run(args);
        run.Should().Throw<Exception>()
            .Where(e => e is CommandParseException || e is CommandRuntimeException, "a parse or validation error, not a crash")
            .Which.Message.Should().Contain(named);
    }

    [Theory]
    [InlineData("run --cpu --reps -1", "--reps")]
    [InlineData("run --cpu --samples 0", "--samples")]
    [InlineData("plan --worklaod X", "worklaod")]
    [InlineData("run --cpu --samples x", "--samples")]
    [InlineData("plan --block-tokens=many", "--block-tokens")]
    [InlineData("plan --head-dim 100", "--head-dim 100")]
    [InlineData("plan --heads 32x8", "--heads 32x8")]
    [InlineData("run --cpu --md {dir}", "--md")]
    [InlineData("run --cpu --png {file}/chart.png", "--png")]
    [InlineData("run --cpu --json {file}/sub/x.json", "--json")]
    [InlineData("decode --cpu --md {dir}", "--md")]
    [InlineData("ptx --out {file}", "--out")]
    [InlineData("report {dir}", "{dir}")]
    [InlineData("report {dir}/missing.json", "missing.json")]
    [InlineData("report {file}", "{file}")]
    [InlineData("report {records} --md {dir}", "--md")]
    public void User_errors_exit_non_zero_with_one_line_naming_the_option_or_file(string commandLine, string named)
    {
        string file = Path.Combine(folder, "not-json.txt");
        File.WriteAllText(file, "not json\nat all");
        string records = Path.Combine(folder, "records.json");
        File.WriteAllText(records, "[]");
        string Fill(string s) => s.Replace("{dir}", folder).Replace("{file}", file).Replace("{records}", records);
        var error = new StringWriter();

        int exit = BenchApp.Run(Fill(commandLine).Split(' '), error);

        exit.Should().Be(BenchApp.UserErrorExitCode);
        var lines = error.ToString().TrimEnd().Split('\n');
        lines.Should().ContainSingle("a user error is one line, not a stack trace");
        lines[0].Should().StartWith("error: ").And.Contain(Fill(named));
    }

    [Fact]
    public void Head_dims_are_checked_against_the_kernels_list()
    {
        int supported = TreeAttention.SupportedHeadDims[0];
        ParsedSettings.Of<PlanCommand.Settings>(["--head-dim", $"{supported}"]).HeadDim.Should().Be(supported);
        var error = new StringWriter();
        BenchApp.Run(["plan", "--head-dim", "100"], error).Should().Be(BenchApp.UserErrorExitCode);
        foreach (int d in TreeAttention.SupportedHeadDims) error.ToString().Should().Contain($"{d}");
    }

    [Fact]
    public void Version_answers_without_running_anything()
    {
        BenchApp.Version.Should().NotBeNullOrWhiteSpace();
        BenchApp.Create().Run(["--version"]).Should().Be(0);
    }
}
