using System.Reflection;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.PTX;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;

namespace DeFT.Kernels.Primitives;

/// <summary>
/// The PTX the kernels need beyond ILGPU's own, each instruction emitted straight into registers by a code-generating
/// intrinsic (ILGPU's <c>IntrinsicImplementationMode.GenerateCode</c>). Inline asm (<c>CudaAsm.EmitRef</c>) passes every
/// operand through a local-memory slot and compiles the C# emulation into the PTX as well; with a slot set the
/// size a kernel of mma and ldmatrix calls needs, ptxas kept it in local memory (64 B stack per thread, ~6× slower on
/// an H200). Here each primitive is a public method whose C# body is its CPU-accelerator emulation; on CUDA, ILGPU
/// calls the matching generator below instead. This file holds the one PTX string of each instruction.
/// </summary>
internal static class PtxIntrinsics
{
    private const string MmaInstruction = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
    private const string MmaBf16Instruction = "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32";
    private const string PackInstruction = "cvt.rn.f16x2.f32";
    private const string PackBf16Instruction = "cvt.rn.bf16x2.f32";
    private const string LdMatrixInstruction = "ldmatrix.sync.aligned.m8n8.x4.shared.b16";
    private const string LdMatrixTransposedInstruction = "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16";
    private const string Copy16Instruction = "cp.async.cg.shared.global";
    private const string Copy8Instruction = "cp.async.ca.shared.global"; // 4 or 8 bytes (.cg takes only 16)
    private const string WaitAllInstruction = "cp.async.wait_all";
    private const string SharedBaseInstruction = "mov.u32";
    private const string SharedLoadInstruction = "ld.shared.u32";
    private const string Exp2Instruction = "ex2.approx.ftz.f32";
    private const string MultiplyRoundedInstruction = "mul.rn.f64";
    private const string AddRoundedInstruction = "add.rn.f64";
    // ILGPU 1.5.3 declares every kernel's dynamic shared memory as this extern symbol (PTXCodeGenerator).
    private const string DynamicSharedSymbol = "__dyn_shared_alloca";

    private static readonly ConditionalWeakTable<Context, object> Registered = new();

    /// <summary>Registers the generators on <paramref name="context"/> (once per context; call before compiling kernels).</summary>
    public static void Register(Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        lock (Registered)
        {
            if (Registered.TryGetValue(context, out _)) return;
            var manager = context.GetIntrinsicManager();
            Bind(manager, typeof(Mma), nameof(Mma.Product), nameof(GenerateMma));
            Bind(manager, typeof(Mma), nameof(Mma.Pack), nameof(GeneratePack));
            Bind(manager, typeof(Mma), nameof(Mma.ProductBf16), nameof(GenerateMmaBf16));
            Bind(manager, typeof(Mma), nameof(Mma.PackBf16), nameof(GeneratePackBf16));
            Bind(manager, typeof(LdMatrix), nameof(LdMatrix.Load), nameof(GenerateLdMatrix));
            Bind(manager, typeof(LdMatrix), nameof(LdMatrix.LoadTransposed), nameof(GenerateLdMatrixTransposed));
            Bind(manager, typeof(CpAsync), nameof(CpAsync.Copy16At), nameof(GenerateCopy16));
            Bind(manager, typeof(CpAsync), nameof(CpAsync.Copy8At), nameof(GenerateCopy8));
            Bind(manager, typeof(CpAsync), nameof(CpAsync.Copy4At), nameof(GenerateCopy4));
            Bind(manager, typeof(CpAsync), nameof(CpAsync.WaitAll), nameof(GenerateWaitAll));
            Bind(manager, typeof(SharedWindow), nameof(SharedWindow.BaseAddress), nameof(GenerateSharedBase));
            Bind(manager, typeof(SharedWindow), nameof(SharedWindow.LoadAt), nameof(GenerateSharedLoad));
            Bind(manager, typeof(FastExp2), nameof(FastExp2.Exp2), nameof(GenerateExp2));
            Bind(manager, typeof(RoundedDouble), nameof(RoundedDouble.Multiply), nameof(GenerateMultiplyRounded));
            Bind(manager, typeof(RoundedDouble), nameof(RoundedDouble.Add), nameof(GenerateAddRounded));
            Registered.Add(context, context);
        }
    }

    private static void Bind(IntrinsicImplementationManager manager, Type type, string method, string generator) =>
        manager.RegisterMethod(
            type.GetMethod(method, BindingFlags.Public | BindingFlags.Static) ?? throw new MissingMethodException(type.Name, method),
            new PTXIntrinsic(typeof(PtxIntrinsics), generator, IntrinsicImplementationMode.GenerateCode));

    // D = A·B + C: value = Product(MmaAccumulator c, MmaA a, MmaB b), fp16 or bf16.
    private static void GenerateMma(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitMma(generator, value, MmaInstruction);

    private static void GenerateMmaBf16(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitMma(generator, value, MmaBf16Instruction);

    private static void EmitMma(PTXCodeGenerator generator, Value value, string instruction)
    {
        var c = Registers(generator, value[0]);
        var a = Registers(generator, value[1]);
        var b = Registers(generator, value[2]);
        var d = Targets(generator, value);
        using var command = generator.BeginCommand(instruction);
        command.AppendVectorArgument(d);
        command.AppendVectorArgument(a);
        command.AppendVectorArgument(b);
        command.AppendVectorArgument(c);
    }

    // value = Pack(float low, float high): the instruction's first source goes to the upper half.
    private static void GeneratePack(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitBinary(generator, value, PackInstruction, value[1], value[0]);

    private static void GeneratePackBf16(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitBinary(generator, value, PackBf16Instruction, value[1], value[0]);

    // value = Load(uint address): four registers from the lanes' row addresses.
    private static void GenerateLdMatrix(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitLdMatrix(generator, value, LdMatrixInstruction);

    private static void GenerateLdMatrixTransposed(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitLdMatrix(generator, value, LdMatrixTransposedInstruction);

    private static void EmitLdMatrix(PTXCodeGenerator generator, Value value, string instruction)
    {
        var address = Register(generator, value[0]);
        var targets = Targets(generator, value);
        using var command = generator.BeginCommand(instruction);
        command.AppendVectorArgument(targets);
        command.AppendArgumentValue(address);
    }

    // Copy16At / Copy8At / Copy4At(uint shared, long global, uint sourceBytes): zero-fill past sourceBytes.
    private static void GenerateCopy16(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitCopy(generator, value, Copy16Instruction, 16);

    private static void GenerateCopy8(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitCopy(generator, value, Copy8Instruction, 8);

    private static void GenerateCopy4(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitCopy(generator, value, Copy8Instruction, 4);

    private static void EmitCopy(PTXCodeGenerator generator, Value value, string instruction, int bytes)
    {
        var shared = Register(generator, value[0]);
        var global = Register(generator, value[1]);
        var sourceBytes = Register(generator, value[2]);
        using var command = generator.BeginCommand(instruction);
        command.AppendArgumentValue(shared);
        command.AppendArgumentValue(global);
        command.AppendConstant(bytes);
        command.AppendArgument(sourceBytes);
    }

    private static void GenerateWaitAll(PTXBackend backend, PTXCodeGenerator generator, Value value)
    {
        using var command = generator.BeginCommand(WaitAllInstruction);
    }

    // value = BaseAddress(): the shared-state-space address of the dynamic shared memory.
    private static void GenerateSharedBase(PTXBackend backend, PTXCodeGenerator generator, Value value)
    {
        var target = generator.AllocateHardware(value);
        using var command = generator.BeginCommand(SharedBaseInstruction);
        command.AppendArgument(target);
        command.AppendRawValueReference(DynamicSharedSymbol);
    }

    // value = LoadAt(uint address): one word from the shared state space.
    private static void GenerateSharedLoad(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitUnary(generator, value, SharedLoadInstruction, address: true);

    // value = Exp2(float x).
    private static void GenerateExp2(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitUnary(generator, value, Exp2Instruction, address: false);

    // target = instruction operand, the operand as an address ([%r]) when `address`.
    private static void EmitUnary(PTXCodeGenerator generator, Value value, string instruction, bool address)
    {
        var operand = Register(generator, value[0]);
        var target = generator.AllocateHardware(value);
        using var command = generator.BeginCommand(instruction);
        command.AppendArgument(target);
        if (address) command.AppendArgumentValue(operand);
        else command.AppendArgument(operand);
    }

    // value = Multiply(double a, double b) or Add(double a, double b), rounded to nearest (never fused).
    private static void GenerateMultiplyRounded(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitBinary(generator, value, MultiplyRoundedInstruction, value[0], value[1]);

    private static void GenerateAddRounded(PTXBackend backend, PTXCodeGenerator generator, Value value) =>
        EmitBinary(generator, value, AddRoundedInstruction, value[0], value[1]);

    // target = instruction first, second.
    private static void EmitBinary(PTXCodeGenerator generator, Value value, string instruction, Value first, Value second)
    {
        var a = Register(generator, first);
        var b = Register(generator, second);
        var target = generator.AllocateHardware(value);
        using var command = generator.BeginCommand(instruction);
        command.AppendArgument(target);
        command.AppendArgument(a);
        command.AppendArgument(b);
    }

    private static RegisterAllocator<PTXRegisterKind>.HardwareRegister Register(PTXCodeGenerator generator, Value value) =>
        generator.EnsureHardwareRegister(generator.LoadPrimitive(value));

    // The fields of a struct operand (all primitive), each in a hardware register.
    private static RegisterAllocator<PTXRegisterKind>.PrimitiveRegister[] Registers(PTXCodeGenerator generator, Value value)
    {
        var compound = (RegisterAllocator<PTXRegisterKind>.CompoundRegister)generator.Load(value);
        var result = new RegisterAllocator<PTXRegisterKind>.PrimitiveRegister[compound.NumChildren];
        for (int i = 0; i < result.Length; i++)
            result[i] = generator.EnsureHardwareRegister((RegisterAllocator<PTXRegisterKind>.PrimitiveRegister)compound.Children[i]);
        return result;
    }

    // Fresh registers for the fields of a struct result.
    private static RegisterAllocator<PTXRegisterKind>.PrimitiveRegister[] Targets(PTXCodeGenerator generator, Value value)
    {
        var compound = (RegisterAllocator<PTXRegisterKind>.CompoundRegister)generator.Allocate(value);
        return compound.SliceAs<RegisterAllocator<PTXRegisterKind>.PrimitiveRegister>(0, compound.NumChildren);
    }
}
