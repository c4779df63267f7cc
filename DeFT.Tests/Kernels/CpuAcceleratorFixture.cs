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
    private readonly Dictionary<(HeadConfig, AttentionKernel, bool), TreeAttention> attention = new();
    private readonly Dictionary<TreeAttention, DevicePlanner> planners = new();

    public CpuAcceleratorFixture()
    {
        Context = Accelerators.CreateContext();
        Accelerator = Accelerators.CreateBest(Context, forceCpu: true);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    /// <summary>
    /// Attention for <paramref name="heads"/> with the partial-attention <paramref name="kernel"/> (CUDA-core unless named);
    /// with <paramref name="narrowOnSmallPlans"/>, tensor cores split narrow tasks off plans of any size (the rule's
    /// least token-heads is 1 instead of a GPU-sized amount), so small trees reach the two-launch path.
    /// </summary>
    public TreeAttention For(HeadConfig heads, AttentionKernel kernel = AttentionKernel.CudaCore, bool narrowOnSmallPlans = false)
    {
        lock (attention)
        {
            if (!attention.TryGetValue((heads, kernel, narrowOnSmallPlans), out var a))
                attention[(heads, kernel, narrowOnSmallPlans)] = a = narrowOnSmallPlans
                    ? new TreeAttention(Accelerator, heads, kernel) { NarrowMinTokenHeads = 1 }
                    : new TreeAttention(Accelerator, heads, kernel);
            return a;
        }
    }

    /// <summary>The device planner of <see cref="For"/>(<paramref name="heads"/>, <paramref name="kernel"/>, <paramref name="narrowOnSmallPlans"/>), loaded once.</summary>
    public DevicePlanner PlannerFor(HeadConfig heads, AttentionKernel kernel = AttentionKernel.CudaCore, bool narrowOnSmallPlans = false)
    {
        var a = For(heads, kernel, narrowOnSmallPlans);
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
