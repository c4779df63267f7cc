using System.Text.Json;
using System.Text.RegularExpressions;
using DeFT.Bench.Commands;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Kernels.Device;
using DeFT.Tests.Kernels;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

using DeFT.Tests.Support;

namespace DeFT.Tests.Bench;

/// <summary>The <c>run</c> command's L2 eviction: option parsing, the read kernel, and what the reports say.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class L2EvictionTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Eviction_names_parse_with_read_the_default_and_warm_l2_an_alias_of_none()
    {
        EvictionChoice.Parse(null, warmL2: false).Should().Be(L2Eviction.Read);
        EvictionChoice.Parse("read", false).Should().Be(L2Eviction.Read);
        EvictionChoice.Parse("Clear", false).Should().Be(L2Eviction.Clear);
        EvictionChoice.Parse("none", false).Should().Be(L2Eviction.None);
        EvictionChoice.Parse(null, warmL2: true).Should().Be(L2Eviction.None);
        EvictionChoice.Parse("none", warmL2: true).Should().Be(L2Eviction.None);
        FluentActions.Invoking(() => EvictionChoice.Parse("flush", false)).Should().Throw<FormatException>().WithMessage("*flush*");
        FluentActions.Invoking(() => EvictionChoice.Parse("clear", true)).Should().Throw<FormatException>().WithMessage("*--warm-l2*");
        foreach (var mode in Enum.GetValues<L2Eviction>()) EvictionChoice.Parse(EvictionChoice.NameOf(mode), false).Should().Be(mode);
    }

    [Theory]
    [InlineData(new string[0], L2Eviction.Read)]
    [InlineData(new[] { "--evict", "clear" }, L2Eviction.Clear)]
    [InlineData(new[] { "--evict", "read" }, L2Eviction.Read)]
    [InlineData(new[] { "--evict", "none" }, L2Eviction.None)]
    [InlineData(new[] { "--warm-l2" }, L2Eviction.None)]
    [InlineData(new[] { "--warm-l2", "--evict", "none", "-w", "A_fewshot_b20" }, L2Eviction.None)]
    public void The_run_command_line_selects_the_eviction(string[] args, L2Eviction expected)
    {
        Parse(args).Eviction.Should().Be(expected);
    }

    [Theory]
    [InlineData("--evict", "flush")]
    [InlineData("--warm-l2", "--evict", "read")]
    public void Bad_or_contradictory_eviction_options_are_refused(params string[] args)
    {
        FluentActions.Invoking(() => Parse(args)).Should().Throw<Exception>();
    }

    [Fact]
    public void The_read_kernel_reads_the_whole_buffer_without_writing()
    {
        using var evictor = new L2Evictor(fixture.Accelerator, bytes: 1 << 20);
        evictor.Bytes.Should().Be(1 << 20);
        var stream = fixture.Accelerator.DefaultStream;
        evictor.Evict(stream, L2Eviction.Read);
        evictor.SinkValue().Should().Be(0, "the zeroed buffer's xor is never the sentinel, so nothing is written");
        evictor.Evict(stream, L2Eviction.Clear);
        evictor.Evict(stream, L2Eviction.None);
        evictor.SinkValue().Should().Be(0);
        evictor.Read(stream, never: 0); // the xor of zeros: every thread writes, which shows the kernel ran
        evictor.SinkValue().Should().Be(1);
    }

    [Fact]
    public void The_read_kernel_compiles_to_128_bit_global_loads()
    {
        using var backend = new PTXBackend(fixture.Context, new CudaCapabilityContext(CudaArchitecture.SM_80),
            CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, nvvmAPI: null);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(L2Evictor.ReadKernelMethod);
        string ptx = ((PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization))).PTXAssembly;
        Regex.Matches(ptx, @"\bld\.global(\.\w+)*\.v4\.").Count.Should().BeGreaterThanOrEqualTo(5, "four loads per unrolled iteration and one in the tail loop");
        Regex.Matches(ptx, @"\bld\.global(?!(\.\w+)*\.v4)").Count.Should().Be(0, "no narrower loads of the buffer");
        Regex.Matches(ptx, @"\b(ld|st)\.local").Count.Should().Be(0);
    }

    [Fact]
    public void Reports_say_how_l2_was_evicted()
    {
        var record = new RunRecord
        {
            Workload = "A_fewshot_b20", Hq = 32, Hkv = 8, HeadDim = 128, Method = "flatten", Kernel = "tensor-core", Status = "ok",
            MedianUs = 60, P10Us = 59, P90Us = 61, MemoryFloorUs = 8, ComputeFloorUs = 2.5, FloorRatio = 7.5, MaxAbsError = 1e-5,
            RelL2Error = 1e-6, CheckedQueries = 8, KvBytesRead = 1, UniqueKvBytes = 1, PartialBytesWritten = 1, WorkItems = 1,
            Flops = 1, PlanUs = 1, UploadUs = 1, Device = "GPU", Synthetic = false,
            L2 = "evicted", L2Eviction = "read", L2EvictionBytes = L2Evictor.DefaultBytes,
        };
        MarkdownReport.Render(new[] { record }, 4000, 500).Should().Contain("L2 evicted before each rep by reading a 256 MB buffer");
        MarkdownReport.Render(new[] { record with { L2Eviction = "clear" } }, 4000, 500).Should().Contain("by clearing a 256 MB buffer");
        MarkdownReport.Render(new[] { record with { L2 = "warm", L2Eviction = "none", L2EvictionBytes = null } }, 4000, 500)
            .Should().Contain("L2 warm (not evicted)");
        // A run saved before the field existed still renders.
        MarkdownReport.Render(new[] { record with { L2Eviction = null, L2EvictionBytes = null } }, 4000, 500).Should().Contain("L2 evicted.");

        using var doc = JsonDocument.Parse(JsonReport.Serialize(new[] { record }));
        doc.RootElement[0].GetProperty("l2_eviction").GetString().Should().Be("read");
        doc.RootElement[0].GetProperty("l2_eviction_bytes").GetInt64().Should().Be(256L << 20);
    }

    private static RunCommand.Settings Parse(string[] args) => ParsedSettings.Of<RunCommand.Settings>(args);
}
