using System.Reflection;
using System.Text.RegularExpressions;
using DeFT.Kernels.Attention;
using DeFT.Kernels.Device;
using DeFT.Kernels.Elements;
using DeFT.Kernels.Planning;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Tests.Kernels;

/// <summary>
/// The kernels as ILGPU compiles them for CUDA (no GPU needed). ILGPU 1.5.3 places a load next to its use, even below
/// a store to the same address, so C# that reads an element and then overwrites it can, on CUDA, read its own write; the
/// CPU accelerator runs the C# as written and never shows it. The plan kernel's group scan of the node query counts was
/// in place, and on an H200 every tree of 1024 nodes or more (chunks of 2 or more per thread) got doubled prefixes and
/// wrote far past the query keys (compute-sanitizer: 8-byte writes out of bounds by threads 960–1023). These tests read
/// the PTX of every kernel the library launches for a global load from an address the same straight-line code has just
/// stored to.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelPtxTests(CpuAcceleratorFixture fixture)
{
    /// <summary>Each kernel the library launches on CUDA (one instantiation per generic family), with its fewest global stores.</summary>
    public static TheoryData<string, int> Kernels => new()
    {
        { "plan", 20 }, { "flat tokens", 2 }, { "fill", 3 }, { "KV scatter", 2 }, { "tensor-core D128 fp16", 2 },
        { "tensor-core streaming D256 bf16 capped", 2 }, { "CUDA-core D64 fp16", 2 }, { "merge D128 bf16", 2 },
    };

    [Theory, MemberData(nameof(Kernels))]
    public void No_kernel_load_reads_back_its_own_store(string kernel, int fewestStores)
    {
        PtxIntrinsics.Register(fixture.Context);
        string ptx = Compile(Entry(kernel));
        var (stores, readBacks) = StoresReadBack(ptx);
        stores.Should().BeGreaterThanOrEqualTo(fewestStores, "the checker must see the kernel's global stores to say anything");
        readBacks.Should().BeEmpty("a load below a store to its own address reads the store, not what the C# read before it");
    }

    /// <summary>
    /// The plan kernel decides Adaptive's packing by comparing double costs that must round as on the host. PTX lets ptxas
    /// fuse an unrounded <c>mul.f64</c> and <c>add.f64</c> into one <c>fma</c> (one rounding instead of two), so every double
    /// multiply and add in the kernel must carry <c>.rn</c> (<c>RoundedDouble</c>), and there must be some.
    /// </summary>
    [Fact]
    public void The_plan_kernel_rounds_every_double_multiply_and_add()
    {
        PtxIntrinsics.Register(fixture.Context);
        string ptx = Compile(Entry("plan"));
        var doubles = Regex.Matches(ptx, @"\b(mul|add|sub|fma|mad)(\.\w+)*\.f64\b").Select(m => m.Value).ToList();
        doubles.Should().Contain("mul.rn.f64").And.Contain("add.rn.f64");
        doubles.Should().OnlyContain(op => op == "mul.rn.f64" || op == "add.rn.f64", "an unrounded one may be fused with its neighbour");
    }

    /// <summary>
    /// The attention kernels' fixed work per task or row is short: a group finds its task, KV head and rows with
    /// <c>FastDivisor</c> or a 2D grid, not a <c>/</c> or <c>%</c> by a runtime value (each compiled to ~25 dependent
    /// instructions: the merge's signed <c>% 32</c> and head division in run v34's SASS, ~400 instructions per warp of the
    /// four-warp kernel's prologue and epilogue on the 6-level PAT tree in run v37's).
    /// </summary>
    [Theory]
    [InlineData("tensor-core D128 fp16")]
    [InlineData("tensor-core streaming D256 bf16 capped")]
    [InlineData("CUDA-core D64 fp16")]
    [InlineData("merge D128 bf16")]
    public void No_attention_kernel_divides_an_integer(string kernel)
    {
        PtxIntrinsics.Register(fixture.Context);
        string ptx = Compile(Entry(kernel));
        ptx.Should().Contain("ld.global", "the PTX must be the kernel's");
        // A constant divisor (the dynamic shared memory's bytes / 4) is a shift to ptxas; a register divisor is not.
        Regex.Matches(ptx, @"\b(div|rem)\.[su](32|64)\s+%\w+,\s*%\w+,\s*%\w+").Select(m => m.Value).Should().BeEmpty();
    }

    /// <summary>
    /// The tile loop's shared-memory operands (<c>ldmatrix</c>, 16-byte <c>cp.async</c>, <c>ld.shared</c> of a slot) are a
    /// lane's row plus a constant (<c>SharedRow.Plus</c>), which ptxas folds into the instruction's address; computed from
    /// a word index instead, each cost an add and a shift-add in the SASS (run v34). The few that are a row itself are not.
    /// </summary>
    [Fact]
    public void Tile_loop_shared_addresses_are_a_register_plus_a_constant()
    {
        PtxIntrinsics.Register(fixture.Context);
        var lines = Compile(Entry("tensor-core D128 fp16")).Split('\n');
        var definitions = lines.Select(line => Regex.Match(line, @"^\s*([a-z][\w.]*)\s+(%r\d+),\s*(.*?);\s*$"))
            .Where(m => m.Success).GroupBy(m => m.Groups[2].Value).ToDictionary(g => g.Key, g => g.ToList());
        var operands = lines.Where(line => Regex.IsMatch(line, @"\b(ldmatrix|cp\.async\.cg|ld\.shared\.u32)\b"))
            .Select(line => Regex.Match(line, @"\[(%r\d+)\]").Groups[1].Value).ToList();
        bool PlusConstant(string register) => definitions.TryGetValue(register, out var defs) && defs.Count == 1
            && defs[0].Groups[1].Value is "add.s32" or "add.u32" && Regex.IsMatch(defs[0].Groups[3].Value, @"^%r\d+,\s*-?\d+$");
        operands.Should().HaveCountGreaterThan(40, "40 ldmatrix and the tile copies at D 128");
        operands.Count(PlusConstant).Should().BeGreaterThanOrEqualTo(operands.Count * 4 / 5);
    }

    private static EntryPointDescription Entry(string kernel) => kernel switch
    {
        "plan" => Explicit<PlanViews>(PlanKernel.Plan),
        "flat tokens" => Explicit<PlanViews>(LayoutKernels.FlatTokens),
        "fill" => Implicit(ItemKernels.Fill),
        "KV scatter" => EntryPointDescription.FromImplicitlyGroupedKernel(((Action<Index1D, KvScatter>)KvScatter.Kernel).Method),
        "tensor-core D128 fp16" => Explicit<AttentionParams>(TensorCoreAttentionKernel.Kernel<TensorCoreShape<HeadDim128>, Float16Element, Uncapped>),
        "tensor-core streaming D256 bf16 capped" => Explicit<AttentionParams>(TensorCoreAttentionKernel.Kernel<StreamingTensorCoreShape<HeadDim256>, BFloat16Element, TanhCapped>),
        "CUDA-core D64 fp16" => Explicit<AttentionParams>(PartialAttentionKernel.Kernel<HeadDim64, Float16Element>),
        "merge D128 bf16" => Explicit<AttentionParams>(MergeKernel.Kernel<HeadDim128, BFloat16Element>),
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "no such kernel"),
    };

    private static EntryPointDescription Explicit<T>(Action<T> kernel) where T : struct =>
        EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);

    private static EntryPointDescription Implicit(Action<Index1D, PlanViews> kernel) =>
        EntryPointDescription.FromImplicitlyGroupedKernel(kernel.Method);

    /// <summary>
    /// What the checker guards against, shown on ILGPU itself: a prefix loop that reads each element before overwriting
    /// it compiles to a store followed by a load of the same address. If this fails after an ILGPU upgrade, ILGPU keeps
    /// loads above stores now, and the rule in PlanKernel.ExclusiveScan (input and output must not overlap) could go.
    /// </summary>
    [Fact]
    public void Ilgpu_moves_a_load_below_a_store_to_the_same_address()
    {
        var method = typeof(KernelPtxTests).GetMethod(nameof(InPlacePrefix), BindingFlags.NonPublic | BindingFlags.Static)!;
        string ptx = Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method));
        StoresReadBack(ptx).ReadBacks.Should().NotBeEmpty();
    }

    private static void InPlacePrefix(Index1D i, ArrayView<int> a, int length)
    {
        int prefix = 0;
        for (int k = i * length; k < (i + 1) * length; k++)
        {
            int value = a[k];
            a[k] = prefix;
            prefix += value;
        }
    }

    private string Compile(EntryPointDescription entry)
    {
        using var backend = new PTXBackend(fixture.Context, new CudaCapabilityContext(CudaArchitecture.SM_80),
            CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, nvvmAPI: null);
        return ((PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization))).PTXAssembly;
    }

    /// <summary>
    /// Follows each straight run of PTX (cut at labels and barriers) with symbolic addresses — a register's value is the
    /// expression of the adds, multiplies and moves that made it in the run, else the register at that definition — and
    /// returns the global stores seen and every global load of an address stored to earlier in the same run.
    /// </summary>
    private static (int Stores, List<string> ReadBacks) StoresReadBack(string ptx)
    {
        var instruction = new Regex(@"^\s*(@!?%\w+\s+)?([a-z][\w.]*)\s*(.*?);\s*$");
        var address = new Regex(@"^\[\s*([^\]+\s]+)\s*(?:\+\s*(-?\d+))?\s*\]$");
        var symbols = new Dictionary<string, string>();
        var versions = new Dictionary<string, int>();
        var stored = new HashSet<string>();
        var readBacks = new List<string>();
        int stores = 0, run = 0;

        string Value(string operand) => !operand.StartsWith('%') ? operand
            : symbols.TryGetValue(operand, out var s) ? s : $"{operand}#{run}.{versions.GetValueOrDefault(operand)}";
        string? Address(string operand)
        {
            var m = address.Match(operand.Trim());
            return m.Success ? $"{Value(m.Groups[1].Value)}+{(m.Groups[2].Success ? m.Groups[2].Value : "0")}" : null;
        }
        void Define(string register, string? symbol)
        {
            versions[register] = versions.GetValueOrDefault(register) + 1;
            if (symbol is null) symbols.Remove(register);
            else symbols[register] = symbol;
        }

        var lines = ptx.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            if (Regex.IsMatch(line, @"^\s*[\w$]+:\s*$") || line.Contains("bar.sync", StringComparison.Ordinal))
            {
                run++;
                symbols.Clear();
                stored.Clear();
                continue;
            }
            var m = instruction.Match(line);
            if (!m.Success) continue;
            bool predicated = m.Groups[1].Success;
            string op = m.Groups[2].Value;
            var operands = m.Groups[3].Value.Split(',').Select(o => o.Trim()).ToArray();
            if (op.StartsWith("st.global", StringComparison.Ordinal))
            {
                if (Address(operands[0]) is { } at) stored.Add(at);
                stores++;
                continue;
            }
            if (op.StartsWith("ld.global", StringComparison.Ordinal) && operands.Length >= 2 && Address(operands[1]) is { } from
                && stored.Contains(from))
                readBacks.Add($"line {n + 1}: {line.Trim()}");
            if (op.StartsWith("atom.global", StringComparison.Ordinal) && operands.Length >= 2 && Address(operands[1]) is { } atomic)
                stored.Add(atomic);
            if (operands.Length == 0 || !operands[0].StartsWith('%')) continue;
            string? symbol = predicated ? null : op switch
            {
                _ when op.StartsWith("mov.", StringComparison.Ordinal) && operands.Length == 2 => Value(operands[1]),
                _ when op.StartsWith("add.", StringComparison.Ordinal) && operands.Length == 3 =>
                    "add(" + string.Join(",", new[] { Value(operands[1]), Value(operands[2]) }.Order(StringComparer.Ordinal)) + ")",
                _ when (op.StartsWith("mul.", StringComparison.Ordinal) || op.StartsWith("shl.", StringComparison.Ordinal)) && operands.Length == 3 =>
                    $"{op}({Value(operands[1])},{Value(operands[2])})",
                _ => null,
            };
            Define(operands[0], symbol);
        }
        return (stores, readBacks);
    }
}
