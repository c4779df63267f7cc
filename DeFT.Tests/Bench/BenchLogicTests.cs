using System.Text.Json;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;

namespace DeFT.Tests.Bench;

public sealed class BenchLogicTests
{
    [Theory]
    [InlineData(549.0, 4182.9, 130)] // run v22: 131.3
    [InlineData(545.0, 4220.0, 130)] // 129.1: the same plans as above
    [InlineData(580.0, 4100.0, 140)]
    [InlineData(30.0, 4208.0, 7.1)] // an ncu-slowed tensor probe
    public void Flops_per_byte_keeps_two_significant_digits(double tflops, double bandwidth, double expected)
    {
        var options = new BenchmarkOptions(1, 1, L2Eviction.Read, 1, PlannerOptions.Default, bandwidth, tflops, "test");
        options.FlopsPerByte.Should().BeApproximately(expected, 1e-9);
        (options with { TensorTflops = null }).FlopsPerByte.Should().Be(130);
    }

    [Fact]
    public void Percentiles_interpolate_between_sorted_samples()
    {
        var p = Percentiles.Of(new double[] { 5, 1, 4, 2, 3, 10, 6, 9, 7, 8, 11 });
        p.Median.Should().Be(6);
        p.P10.Should().Be(2);
        p.P90.Should().Be(10);
        Percentiles.At(new double[] { 0, 10 }, 0.25).Should().Be(2.5);
        var empty = () => Percentiles.Of(Array.Empty<double>());
        empty.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Floors_divide_bytes_by_bandwidth_and_flops_by_tensor_rate()
    {
        var stats = new PlanStatistics(KvBytesRead: 0, UniqueKvBytes: 3_000_000, QueryBytes: 1_000_000, PartialBytesWritten: 0,
            PartialBytesRead: 0, WorkItems: 1, PaddedPairs: 0, Flops: 0, UsefulFlops: 2e9);
        Floors.MemoryUs(stats, bandwidthGBs: 4000).Should().BeApproximately(1.0, 1e-12); // 4 MB at 4 TB/s
        Floors.ComputeUs(stats, tensorTflops: 500).Should().BeApproximately(4.0, 1e-12); // 2 GFLOP at 500 TFLOP/s
        Floors.ComputeUs(stats, tensorTflops: null).Should().BeNull();
    }

    [Fact]
    public void Json_records_use_the_documented_snake_case_names()
    {
        var record = new RunRecord
        {
            Workload = "A_fewshot_b20", Hq = 32, Hkv = 8, HeadDim = 128, Method = "flatten", Kernel = "tensor-core", Status = "ok",
            MedianUs = 90.5, P10Us = 90, P90Us = 91, MemoryFloorUs = 7.9, ComputeFloorUs = 2.5, FloorRatio = 11.5,
            SpeedupVsSequence = 3.6, MaxAbsError = 1e-5, RelL2Error = 1e-6, CheckedQueries = 8, KvBytesRead = 32768000,
            UniqueKvBytes = 32768000, PartialBytesWritten = 5, WorkItems = 36, Flops = 1, PlanUs = 300, UploadUs = 50,
            Device = "NVIDIA H200", L2 = "evicted", Synthetic = false,
        };
        using var doc = JsonDocument.Parse(JsonReport.Serialize(new[] { record }));
        var e = doc.RootElement[0];
        foreach (var name in new[] { "workload", "hq", "hkv", "head_dim", "method", "median_us", "p10_us", "p90_us",
                     "memory_floor_us", "compute_floor_us", "max_abs_error", "device" })
            e.TryGetProperty(name, out _).Should().BeTrue($"the record must carry '{name}'");
        e.GetProperty("median_us").GetDouble().Should().Be(90.5);
        e.GetProperty("head_dim").GetInt32().Should().Be(128);
    }

    [Fact]
    public void Plan_records_carry_the_fields_of_the_plan_command()
    {
        var record = new PlanRecord("w", new HeadsRecord(32, 8, 128), 20, 8000, false,
            new[] { new PlanMethodRecord("flatten", 1, 1, 0, 2, 2, 3, 0, 4.0, 5.0) });
        using var doc = JsonDocument.Parse(JsonReport.Serialize(record));
        var root = doc.RootElement;
        root.GetProperty("heads").GetProperty("q").GetInt32().Should().Be(32);
        var m = root.GetProperty("methods")[0];
        foreach (var name in new[] { "method", "kv_bytes_read", "partial_bytes_written", "work_items", "flops" })
            m.TryGetProperty(name, out _).Should().BeTrue($"a method record must carry '{name}'");
    }

    [Fact]
    public void Markdown_marks_failed_methods_and_synthetic_workloads()
    {
        var ok = new RunRecord
        {
            Workload = "B_spec_P4k_T64", Hq = 32, Hkv = 8, HeadDim = 128, Method = "flatten", Kernel = "cuda-core", Status = "ok",
            MedianUs = 10, P10Us = 9, P90Us = 11, MemoryFloorUs = 2, ComputeFloorUs = 1, FloorRatio = 5, MaxAbsError = 1e-5,
            RelL2Error = 1e-6, CheckedQueries = 8, KvBytesRead = 1, UniqueKvBytes = 1, PartialBytesWritten = 1, WorkItems = 1,
            Flops = 1, PlanUs = 1, UploadUs = 1, Device = "GPU", L2 = "evicted", Synthetic = true,
        };
        var failed = ok with { Method = "node", Status = "failed", MedianUs = null, P10Us = null, P90Us = null, FloorRatio = null };
        var md = MarkdownReport.Render(new[] { ok, failed }, 4000, 500);
        md.Should().Contain("B_spec_P4k_T64 (synthetic)").And.Contain("| node | cuda-core | failed").And.Contain("| 10.0 |");
    }

    [Fact]
    public void Command_line_names_parse_and_bad_ones_are_refused()
    {
        WorkloadSelection.Heads(new[] { "32:8", "32:4" }, 128).Should().Equal(new HeadConfig(32, 8, 128), new HeadConfig(32, 4, 128));
        WorkloadSelection.Heads(null, 64).Should().Equal(new HeadConfig(32, 8, 64));
        var badHeads = () => WorkloadSelection.Heads(new[] { "32x8" }, 128);
        badHeads.Should().Throw<FormatException>().WithMessage("*32x8*");
        Methods.Parse(new[] { "Flatten", "sequence" }).Should().Equal(PlanMethod.Flatten, PlanMethod.Sequence);
        var badMethod = () => Methods.Parse(new[] { "radix" });
        badMethod.Should().Throw<FormatException>().WithMessage("*radix*");
        KernelChoice.Parse(new[] { "tensor-core", "auto" }).Should().Equal(AttentionKernel.TensorCore, AttentionKernel.Auto);
        KernelChoice.NameOf(AttentionKernel.Auto, AttentionKernel.CudaCore).Should().Be("auto:cuda-core");
    }
}
