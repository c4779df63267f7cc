using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Tests.Kernels;

/// <summary>Runs a plan through <see cref="TreeAttention"/> on the test accelerator with poisoned outputs and reads the results back.</summary>
public static class KernelRunner
{
    public static (float[] Output, float[] Lse) Run(TreeAttention attention, AttentionPlan plan, AttentionData data)
    {
        var a = attention.Accelerator;
        var heads = data.Heads;
        using var kv = new KvCache(a, heads, data.SlotCount);
        kv.WriteLayer(0, ToHalf(data.K), ToHalf(data.V));
        using var q = a.Allocate1D(ToHalf(data.Q));
        long rows = (long)data.QueryCount * heads.QueryHeads;
        using var output = a.Allocate1D(Enumerable.Repeat((Half)float.NaN, (int)(rows * heads.HeadDim)).ToArray());
        using var lse = a.Allocate1D(Enumerable.Repeat(float.NaN, (int)rows).ToArray());
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        attention.Run(devicePlan, q.View, kv.Layer(0), output.View, lse.View);
        a.Synchronize();
        return (output.GetAsArray1D().Select(h => (float)h).ToArray(), lse.GetAsArray1D());
    }

    public static Half[] ToHalf(float[] values) => values.Select(v => (Half)v).ToArray();
}
