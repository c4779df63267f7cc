using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Kernels.Attention;
using DeFT.Kernels.Device;
using DeFT.Kernels.Primitives;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Spectre.Console;
using Spectre.Console.Cli;

namespace DeFT.Bench.Commands;

/// <summary>The <c>ptx</c> command: compiles the kernels to PTX on the host (no GPU needed) for inspection.</summary>
[Description("Compile the attention kernels to PTX (sm_80, as ILGPU emits for Hopper) and report their local-memory use.")]
public sealed class PtxCommand : Command<PtxCommand.Settings>
{
    /// <summary>Options of <c>ptx</c>.</summary>
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--out <DIR>")]
        [Description("Folder for the .ptx files. Default: results/ptx.")]
        [DefaultValue("results/ptx")]
        public string OutDirectory { get; init; } = "results/ptx";

        [CommandOption("--device")]
        [Description("Also load the kernels on the CUDA device and report what the driver's JIT made of them (registers, spills, occupancy).")]
        public bool Device { get; init; }

        /// <inheritdoc/>
        public override ValidationResult Validate() =>
            OutputFile.FolderProblem("--out", OutDirectory) is { } problem ? ValidationResult.Error(problem) : base.Validate();
    }

    /// <inheritdoc/>
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ilgpu = Accelerators.CreateContext();
        PtxIntrinsics.Register(ilgpu);
        using var backend = new PTXBackend(ilgpu, new CudaCapabilityContext(CudaArchitecture.SM_80),
            CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, nvvmAPI: null);
        var kernels = new (string Name, MethodInfo Method, int GroupSize, int DynamicSharedBytes)[]
        {
            ("partial_d64", Method(typeof(PartialAttentionKernel), typeof(HeadDim64)), PartialAttentionKernel.GroupSize, 0),
            ("partial_d128", Method(typeof(PartialAttentionKernel), typeof(HeadDim128)), PartialAttentionKernel.GroupSize, 0),
            ("tensorcore_d64", Method(typeof(TensorCoreAttentionKernel), typeof(TensorCoreShape<HeadDim64>)),
                TensorCoreLayout.GroupSize<TensorCoreShape<HeadDim64>>(), TensorCoreLayout.SharedBytes<TensorCoreShape<HeadDim64>>()),
            ("tensorcore_d128", Method(typeof(TensorCoreAttentionKernel), typeof(TensorCoreShape<HeadDim128>)),
                TensorCoreLayout.GroupSize<TensorCoreShape<HeadDim128>>(), TensorCoreLayout.SharedBytes<TensorCoreShape<HeadDim128>>()),
            ("merge_d64", Method(typeof(MergeKernel), typeof(HeadDim64)), MergeKernel.GroupSize, 0),
            ("merge_d128", Method(typeof(MergeKernel), typeof(HeadDim128)), MergeKernel.GroupSize, 0),
        };
        var table = new Table().AddColumns("kernel", "mma", "ldmatrix", "cp.async", "local B", "ld/st.local", "shared B", "PTX lines");
        foreach (var (name, method, _, _) in kernels)
        {
            var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
            OutputFile.Write("--out", Path.Combine(settings.OutDirectory, name + ".ptx"), p => File.WriteAllText(p, compiled.PTXAssembly));
            string ptx = compiled.PTXAssembly;
            long local = Regex.Matches(ptx, @"\.local\s+\.align\s+\d+\s+\.b8\s+\S+\[(\d+)\]").Sum(m => long.Parse(m.Groups[1].Value));
            long shared = Regex.Matches(ptx, @"\.shared\s+\.align\s+\d+\s+\.b8\s+\S+\[(\d+)\]").Sum(m => long.Parse(m.Groups[1].Value));
            int localAccesses = Regex.Matches(ptx, @"\b(ld|st)\.local").Count;
            int mma = Regex.Matches(ptx, @"\bmma\.sync").Count;
            int ldmatrix = Regex.Matches(ptx, @"\bldmatrix\.").Count;
            int cpAsync = Regex.Matches(ptx, @"\bcp\.async\.c").Count;
            table.AddRow(name, mma.ToString(), ldmatrix.ToString(), cpAsync.ToString(), local.ToString(), localAccesses.ToString(),
                shared.ToString(), ptx.Split('\n').Length.ToString());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]mma, ldmatrix and cp.async are emitted into registers by PtxIntrinsics: any local memory is the kernel's own. " +
            "Shared B is static shared memory; the tensor-core kernel's tiles are dynamic (sized at launch). Confirm on the GPU with --device.[/]");
        if (settings.Device) ReportDevice(ilgpu, kernels);
        return 0;
    }

    private static void ReportDevice(ILGPU.Context ilgpu, (string Name, MethodInfo Method, int GroupSize, int DynamicSharedBytes)[] kernels)
    {
        var cuda = ilgpu.GetCudaDevices();
        if (cuda.Count == 0)
        {
            AnsiConsole.MarkupLine("[yellow]--device: no CUDA device found.[/]");
            return;
        }
        using var accelerator = cuda[0].CreateAccelerator(ilgpu);
        var table = new Table().AddColumns("kernel", "registers", "local B/thread", "shared B", "groups/SM", "load ms");
        foreach (var (name, method, groupSize, dynamicShared) in kernels)
        {
            var kernel = method.CreateDelegate<Action<AttentionParams>>();
            // The tensor-core kernel is loaded as TreeAttention loads it: with its shape's launch bounds.
            var info = dynamicShared > 0 && accelerator is CudaAccelerator cudaAccelerator
                ? CudaFunctionInfo.Of(accelerator, () => LaunchBounds.Load(cudaAccelerator, method, groupSize, TensorCoreGroupsPerSm), groupSize, dynamicShared)
                : CudaFunctionInfo.Of(accelerator, kernel, groupSize, dynamicShared);
            table.AddRow(name, info.Registers.ToString(), info.LocalBytes.ToString(), info.SharedBytes.ToString(),
                info.GroupsPerSm.ToString(), info.LoadMs.ToString("F0"));
        }
        AnsiConsole.MarkupLineInterpolated($"Driver JIT on [bold]{accelerator.Name}[/] (local B/thread > 0 means spills or a stack frame):");
        AnsiConsole.Write(table);
        if (accelerator is CudaAccelerator probe)
        {
            // ILGPU caps static shared memory at 48 KB per group; can dynamic shared memory go above it?
            AnsiConsole.MarkupLineInterpolated($"96 KB of dynamic shared memory, limit raised: {SharedMemoryProbe.Try(probe, 96 * 1024, raise: true)}");
            AnsiConsole.MarkupLineInterpolated($"96 KB of dynamic shared memory, limit not raised: {SharedMemoryProbe.Try(probe, 96 * 1024, raise: false)}");
        }
    }

    private static readonly int TensorCoreGroupsPerSm = default(TensorCoreShape<HeadDim128>).MinGroupsPerMultiprocessor;

    private static MethodInfo Method(Type kernel, Type dim) =>
        kernel.GetMethod("Kernel", BindingFlags.Public | BindingFlags.Static)?.MakeGenericMethod(dim) ?? throw new MissingMethodException(kernel.Name, "Kernel");
}
