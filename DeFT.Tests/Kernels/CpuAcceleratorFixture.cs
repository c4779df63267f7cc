using DeFT.Core;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Tests.Kernels;

/// <summary>One ILGPU context and CPU accelerator (NVIDIA-shaped: warp 32) shared by the kernel tests; kernels are compiled once per head config.</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    private readonly Dictionary<(HeadConfig, AttentionKernel), TreeAttention> attention = new();
    private readonly Dictionary<TreeAttention, DevicePlanner> planners = new();

    public CpuAcceleratorFixture()
    {
        Context = Accelerators.CreateContext();
        Accelerator = Accelerators.CreateBest(Context, forceCpu: true);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    /// <summary>Attention for <paramref name="heads"/> with the partial-attention <paramref name="kernel"/> (CUDA-core unless named).</summary>
    public TreeAttention For(HeadConfig heads, AttentionKernel kernel = AttentionKernel.CudaCore)
    {
        lock (attention)
        {
            if (!attention.TryGetValue((heads, kernel), out var a)) attention[(heads, kernel)] = a = new TreeAttention(Accelerator, heads, kernel);
            return a;
        }
    }

    /// <summary>The device planner of <see cref="For"/>(<paramref name="heads"/>, <paramref name="kernel"/>), loaded once.</summary>
    public DevicePlanner PlannerFor(HeadConfig heads, AttentionKernel kernel = AttentionKernel.CudaCore)
    {
        var a = For(heads, kernel);
        lock (planners)
        {
            if (!planners.TryGetValue(a, out var p)) planners[a] = p = new DevicePlanner(a);
            return p;
        }
    }

    public void Dispose()
    {
        foreach (var p in planners.Values) p.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
{
    public const string Name = "CPU accelerator";
}
