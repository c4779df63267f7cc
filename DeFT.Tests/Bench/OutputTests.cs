using DeFT.Bench.Commands;
using DeFT.Bench.Reports;
using DeFT.Tests.Support;
using DeFT.Workloads;
using Spectre.Console;

namespace DeFT.Tests.Bench;

/// <summary>
/// What the bench prints and writes: files checked before work and announced, a warning for a data folder that holds no
/// real trees, tables that fit 80 columns without breaking a number, and the correctness check's pass/fail line.
/// </summary>
public sealed class OutputTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deft-out-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Output_paths_that_cannot_be_files_are_named_before_any_work()
    {
        string file = Path.Combine(folder, "plain.txt");
        File.WriteAllText(file, "");
        OutputFile.Problem("--md", null).Should().BeNull("an option not given writes nothing");
        OutputFile.Problem("--md", Path.Combine(folder, "new", "deeper", "run.md")).Should().BeNull("missing folders are created");
        OutputFile.Problem("--md", folder).Should().Contain("--md").And.Contain("is a folder");
        OutputFile.Problem("--json", Path.Combine(file, "x.json")).Should().Contain("--json").And.Contain($"{file} is a file");
        OutputFile.Problem("--png", " ").Should().Contain("--png");
        OutputFile.FolderProblem("--out", file).Should().Contain("--out");
        OutputFile.FolderProblem("--out", Path.Combine(folder, "ptx")).Should().BeNull();
    }

    [Fact]
    public void Writing_creates_the_folder_and_names_the_option_on_failure()
    {
        string target = Path.Combine(folder, "results", "run.json");
        OutputFile.Write("--json", target, p => File.WriteAllText(p, "[]"));
        File.ReadAllText(target).Should().Be("[]");

        var fail = () => OutputFile.Write("--md", target, _ => throw new UnauthorizedAccessException("denied"));
        fail.Should().Throw<IOException>().WithMessage($"--md {target}: denied");
    }

    [Fact]
    public void A_data_folder_without_the_real_trees_is_warned_about()
    {
        DataDirectory.Problem(Path.Combine(folder, "none")).Should().Be("does not exist");
        DataDirectory.Problem(folder).Should().StartWith("holds none of the expected files");
        string reasoning = DataDirectory.ReasoningFile(folder, DataDirectory.ReasoningFileNames[0]);
        Directory.CreateDirectory(Path.GetDirectoryName(reasoning)!);
        File.WriteAllText(reasoning, "[]");
        DataDirectory.Problem(folder).Should().BeNull("one real file is enough: the others fall back one by one");

        var settings = ParsedSettings.Of<PlanCommand.Settings>(["--data", Path.Combine(folder, "none")]);
        settings.DataWarning().Should().Contain("--data").And.Contain("does not exist");
        ParsedSettings.Of<PlanCommand.Settings>(["--data", folder]).DataWarning().Should().BeNull();
    }

    [Theory]
    [InlineData("B_spec_P16k_T256")]
    [InlineData("D_pat_1,4,16,64,256,1024_256,32,256,64,32,256")]
    public void Run_tables_fit_80_columns_without_breaking_numbers(string workload)
    {
        var records = new[] { Record(workload, 123456.7, "ok"), Record(workload, 12.3, "failed") with { Method = "sequence" } };

        var text = Render(ConsoleReport.Table(records, 80), 80);

        text.Split('\n').Should().OnlyContain(line => line.TrimEnd().Length <= 80);
        text.Should().Contain("123456.7").And.Contain("1.2E-004").And.Contain("2.50×");
        FittedTable.NaturalWidth(ConsoleReport.Table(records, 400)).Should().BeGreaterThan(80, "a wide console gets every column");
        Render(ConsoleReport.Table(records, 400), 400).Should().Contain("mem floor µs");
    }

    [Fact]
    public void Plan_tables_fit_80_columns_without_breaking_numbers()
    {
        var record = new PlanRecord("B_spec_P16k_T256", new HeadsRecord(32, 8, 128), 256, 16256, false,
            [new PlanMethodRecord("adaptive (no target)", 16781510000, 1, 98.4, 270530000, 1, 16128, 0, 4.0, 62909)
                { Groups = 16128, Waves = 41.2, ModelMicroseconds = 17190, ChunkTokens = 256 }], "132x3x64");

        var text = Render(PlanCommand.Table(record, 80), 80);

        text.Split('\n').Should().OnlyContain(line => line.TrimEnd().Length <= 80);
        text.Should().Contain("16781.51").And.Contain("16,128").And.Contain("62909").And.Contain("17190");
    }

    [Fact]
    public void The_correctness_check_says_pass_or_names_what_failed()
    {
        var ok = Record("A_fewshot_b20", 10, "ok");
        CheckSummary.Line([ok, ok with { Method = "node" }]).Should().Contain("passed").And.Contain("all 2");
        var line = CheckSummary.Line([ok, ok with { Method = "node", Status = "failed" }]);
        line.Should().Contain("FAILED").And.Contain("1 of 2").And.Contain("node/cuda-core on A_fewshot_b20");
    }

    private static RunRecord Record(string workload, double median, string status) => new()
    {
        Workload = workload, Hq = 32, Hkv = 8, HeadDim = 128, Method = "adaptive", Kernel = "cuda-core", Status = status,
        MedianUs = median, P10Us = median, P90Us = median, MemoryFloorUs = 2, ComputeFloorUs = 1, FloorRatio = 5,
        SpeedupVsSequence = 2.5, MaxAbsError = 1.2e-4, RelL2Error = 1e-6, CheckedQueries = 8, KvBytesRead = 1, UniqueKvBytes = 1,
        PartialBytesWritten = 1, WorkItems = 1, Flops = 1, PlanUs = 1, UploadUs = 1, Device = "GPU", L2 = "evicted", Synthetic = false,
    };

    private static string Render(Table table, int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Write(table);
        return writer.ToString();
    }
}
