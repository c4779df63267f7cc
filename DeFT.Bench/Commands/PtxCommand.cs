using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using DeFT.Bench.Measurement;
using DeFT.Bench.Reports;
using DeFT.Kernels.Attention;
using DeFT.Kernels.Elements;
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
        var kernels = new[]
        {
            CudaCore<HeadDim64>("partial_d64"),
            CudaCore<HeadDim128>("partial_d128"),
            TensorCore<TensorCoreShape<HeadDim64>, Float16Element>("tensorcore_d64"),
            TensorCore<TensorCoreShape<HeadDim96>, Float16Element>("tensorcore_d96"),
            TensorCore<TensorCoreShape<HeadDim128>, Float16Element>("tensorcore_d128"),
            TensorCore<TensorCoreShape<HeadDim128>, BFloat16Element>("tensorcore_d128_bf16"),
            TensorCore<TensorCoreShape<HeadDim256>, Float16Element>("tensorcore_d256"),
            TensorCore<StreamingTensorCoreShape<HeadDim128>, Float16Element>("streaming_d128"),
            Merge<HeadDim128>("merge_d128"),
        };
        var table = new Table().AddColumns("kernel", "mma", "ldmatrix", "cp.async", "local B", "ld/st.local", "shared B", "PTX lines");
        foreach (var (name, method, _, _, _) in kernels)
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

    private static void ReportDevice(ILGPU.Context ilgpu, KernelEntry[] kernels)
    {
        var cuda = ilgpu.GetCudaDevices();
        if (cuda.Count == 0)
        {
            AnsiConsole.MarkupLine("[yellow]--device: no CUDA device found.[/]");
            return;
        }
        using var accelerator = cuda[0].CreateAccelerator(ilgpu);
        var table = new Table().AddColumns("kernel", "registers", "local B/thread", "shared B", "groups/SM", "load ms");
        foreach (var (name, method, groupSize, dynamicShared, minGroups) in kernels)
        {
            var kernel = method.CreateDelegate<Action<AttentionParams>>();
            // The tensor-core kernel is loaded as TreeAttention loads it: with its shape's launch bounds and shared-memory limit.
            var info = dynamicShared > 0 && accelerator is CudaAccelerator cudaAccelerator
                ? CudaFunctionInfo.Of(accelerator, () => LoadBounded(cudaAccelerator, method, groupSize, minGroups, dynamicShared), groupSize, dynamicShared)
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

    // A kernel to compile: its launch group size, dynamic shared memory and launch bounds (groups per SM; 0: none).
    private readonly record struct KernelEntry(string Name, MethodInfo Method, int GroupSize, int DynamicSharedBytes, int MinGroups);

    private static KernelEntry CudaCore<TDim>(string name) where TDim : struct, IHeadDim =>
        new(name, Method(PartialAttentionKernel.Kernel<TDim, Float16Element>), PartialAttentionKernel.GroupSize, 0, 0);

    private static KernelEntry Merge<TDim>(string name) where TDim : struct, IHeadDim =>
        new(name, Method(MergeKernel.Kernel<TDim, Float16Element>), MergeKernel.GroupSize, 0, 0);

    private static KernelEntry TensorCore<TShape, TElement>(string name) where TShape : struct, ITensorCoreShape where TElement : struct, IElement =>
        new(name, Method(TensorCoreAttentionKernel.Kernel<TShape, TElement, Uncapped>), TensorCoreLayout.GroupSize<TShape>(),
            TensorCoreLayout.SharedBytes<TShape>(), default(TShape).MinGroupsPerMultiprocessor);

    private static MethodInfo Method(Action<AttentionParams> kernel) => kernel.Method;

    private static Kernel LoadBounded(CudaAccelerator cuda, MethodInfo method, int groupSize, int minGroups, int sharedBytes)
    {
        var kernel = LaunchBounds.Load(cuda, method, groupSize, minGroups);
        if (sharedBytes > TensorCoreLayout.DefaultSharedBytes) DynamicSharedMemory.Allow(kernel, sharedBytes);
        return kernel;
    }
}
