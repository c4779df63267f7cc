using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace DeFT.Kernels.Device;

/// <summary>
/// Loads an explicitly grouped kernel on CUDA with PTX launch bounds (<c>.maxntid</c>, <c>.minnctapersm</c>), which
/// ILGPU 1.5.3 never emits. Without them ptxas allocates registers freely: the tensor-core kernel went from 168
/// registers (3 groups per SM) to 188 (2 groups per SM, ~20 % slower on an H200) after a change that needed four more
/// live values. With them ptxas caps registers at 65536 / (threads × groups) and the occupancy the kernel was designed
/// for is guaranteed (spills, if any, show in <c>ptx --device</c>). ILGPU compiles the kernel with the accelerator's
/// own backend; the bounds are inserted into its PTX and the result is loaded as ILGPU would load it. Constructing
/// the compiled kernel needs two internal members of ILGPU (<c>CompiledKernel.EntryPoint</c> and the
/// <c>PTXCompiledKernel</c> constructor), reached by reflection; if a future ILGPU renames them this throws at load.
/// </summary>
internal static class LaunchBounds
{
    /// <summary>
    /// <paramref name="method"/> (an explicitly grouped kernel) loaded on <paramref name="cuda"/> with launch bounds of
    /// <paramref name="groupSize"/> threads and at least <paramref name="minGroupsPerMultiprocessor"/> groups per SM.
    /// </summary>
    public static Kernel Load(CudaAccelerator cuda, MethodInfo method, int groupSize, int minGroupsPerMultiprocessor)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(method);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)cuda.Backend.Compile(entry, default(KernelSpecialization));
        string ptx = WithBounds(compiled.PTXAssembly, groupSize, minGroupsPerMultiprocessor);
        var entryPoint = EntryPointProperty.GetValue(compiled) ?? throw new InvalidOperationException("ILGPU gave no entry point.");
        var bounded = (CompiledKernel)PtxKernelConstructor.Invoke([compiled.Context, entryPoint, compiled.Info, ptx]);
        return cuda.LoadKernel(bounded);
    }

    /// <summary>The PTX of a single-entry module with launch bounds inserted between the entry's signature and body.</summary>
    public static string WithBounds(string ptx, int groupSize, int minGroupsPerMultiprocessor)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        int entry = ptx.IndexOf(".entry ", StringComparison.Ordinal);
        int body = entry < 0 ? -1 : ptx.IndexOf("\n{", entry, StringComparison.Ordinal);
        if (body < 0) throw new ArgumentException("The PTX has no kernel entry with a body.", nameof(ptx));
        return ptx.Insert(body, $"\n.maxntid {groupSize}, 1, 1\n.minnctapersm {minGroupsPerMultiprocessor}");
    }

    private static readonly PropertyInfo EntryPointProperty =
        typeof(CompiledKernel).GetProperty("EntryPoint", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingMemberException(nameof(CompiledKernel), "EntryPoint");

    private static readonly ConstructorInfo PtxKernelConstructor =
        typeof(PTXCompiledKernel).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, null,
            [typeof(Context), EntryPointProperty.PropertyType, typeof(CompiledKernel.KernelInfo), typeof(string)], null)
        ?? throw new MissingMemberException(nameof(PTXCompiledKernel), ".ctor");
}
