using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Attention;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Tests.Kernels;

/// <summary>Runs plans through <see cref="TreeAttention"/> on the test accelerator with poisoned outputs and reads the results back.</summary>
public static class KernelRunner
{
    /// <summary>Uploads <paramref name="plan"/> into a fresh device plan, runs it once over <paramref name="data"/> and reads output and LSE.</summary>
    public static (float[] Output, float[] Lse) Run(TreeAttention attention, AttentionPlan plan, AttentionData data, bool withLse = true)
    {
        using var inputs = new DeviceInputs(attention.Accelerator, data);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        return inputs.Run(attention, devicePlan, withLse);
    }

    /// <summary>
    /// The partial kernel's cost on the CPU accelerator in (thread group × 32-token tile) units, the unit that
    /// dominates the run time there (about 0.25 s each on a 2-core machine).
    /// </summary>
    public static long GroupTiles(AttentionPlan plan, HeadConfig heads)
    {
        long total = 0;
        foreach (var item in plan.Items)
        {
            int tasks = (item.QueryCount * heads.GroupSize + PartialAttentionKernel.RowsPerTask - 1) / PartialAttentionKernel.RowsPerTask;
            total += (long)tasks * ((item.TokenCount + 31) / 32) * heads.KvHeads;
        }
        return total;
    }

    public static Half[] ToHalf(float[] values) => values.Select(v => (Half)v).ToArray();
}

/// <summary>
/// One layer's inputs on the device: a KV cache holding <see cref="AttentionData.K"/> and <see cref="AttentionData.V"/>,
/// q, and an output and LSE that are poisoned with NaN before every run, so an element a kernel fails to write shows up.
/// </summary>
public sealed class DeviceInputs : IDisposable
{
    private readonly Accelerator accelerator;

    public DeviceInputs(Accelerator accelerator, AttentionData data)
    {
        this.accelerator = accelerator;
        var heads = data.Heads;
        Kv = new KvCache(accelerator, heads, data.SlotCount);
        Kv.WriteLayer(0, KernelRunner.ToHalf(data.K), KernelRunner.ToHalf(data.V));
        Q = accelerator.Allocate1D(KernelRunner.ToHalf(data.Q));
        long rows = (long)data.QueryCount * heads.QueryHeads;
        Output = accelerator.Allocate1D<Half>(rows * heads.HeadDim);
        Lse = accelerator.Allocate1D<float>(rows);
        Poison();
    }

    public KvCache Kv { get; }

    public MemoryBuffer1D<Half, Stride1D.Dense> Q { get; }

    public MemoryBuffer1D<Half, Stride1D.Dense> Output { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Lse { get; }

    /// <summary>Fills output and LSE with NaN.</summary>
    public void Poison()
    {
        Output.CopyFromCPU(Enumerable.Repeat((Half)float.NaN, (int)Output.Length).ToArray());
        Lse.CopyFromCPU(Enumerable.Repeat(float.NaN, (int)Lse.Length).ToArray());
        accelerator.Synchronize();
    }

    /// <summary>Poisons the outputs, runs <paramref name="plan"/> (with or without the LSE output) and reads the results.</summary>
    public (float[] Output, float[] Lse) Run(TreeAttention attention, DevicePlan plan, bool withLse = true)
    {
        Poison();
        attention.Run(plan, Q.View, Kv.Layer(0), Output.View, withLse ? Lse.View : default);
        accelerator.Synchronize();
        return Read();
    }

    /// <summary>Output and LSE as they are on the device now.</summary>
    public (float[] Output, float[] Lse) Read() =>
        (Output.GetAsArray1D().Select(h => (float)h).ToArray(), Lse.GetAsArray1D());

    public void Dispose()
    {
        Kv.Dispose();
        Q.Dispose();
        Output.Dispose();
        Lse.Dispose();
    }
}
