using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Workloads;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Misuse that must throw a .NET exception on the host before anything is enqueued (issue 11): disposed plans, caches
/// and buffers, a view of another accelerator, a misaligned KV layer, a cache larger than the device. After all of
/// them a normal run must still match the reference: on a GPU that shows the CUDA context survived.
/// </summary>
public static class MisuseCheck
{
    /// <summary>Runs every misuse on <paramref name="accelerator"/> and then one valid call.</summary>
    public static IEnumerable<IsolationCheck.Result> Run(Accelerator accelerator, AttentionKernel kernel)
    {
        var heads = new HeadConfig(4, 1, 64);
        var w = TreeSpec.Build("1,3_40,8");
        var plan = TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten);
        var data = AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 11);
        var attention = new TreeAttention(accelerator, heads, kernel);
        using var kv = new KvCache(accelerator, heads, w.SlotCount);
        kv.WriteLayer(0, HalfArray.From(data.K), HalfArray.From(data.V));
        using var q = accelerator.Allocate1D(HalfArray.From(data.Q));
        using var output = accelerator.Allocate1D<Half>(data.Q.Length);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);

        var disposedPlan = attention.CreatePlan();
        attention.Upload(disposedPlan, plan);
        disposedPlan.Dispose();
        yield return Expect<ObjectDisposedException>("Run with a disposed plan", () => attention.Run(disposedPlan, q.View, kv.Layer(0), output.View));
        yield return Expect<ObjectDisposedException>("Upload into a disposed plan", () => attention.Upload(disposedPlan, plan));

        var disposedCache = new KvCache(accelerator, heads, w.SlotCount);
        var staleLayer = disposedCache.Layer(0);
        disposedCache.Dispose();
        yield return Expect<ObjectDisposedException>("Run with a disposed KV cache", () => attention.Run(devicePlan, q.View, staleLayer, output.View));
        yield return Expect<ObjectDisposedException>("Layer() of a disposed KV cache", () => disposedCache.Layer(0));

        var disposedQ = accelerator.Allocate1D(HalfArray.From(data.Q));
        var staleQ = disposedQ.View;
        disposedQ.Dispose();
        yield return Expect<ObjectDisposedException>("Run with a disposed q buffer", () => attention.Run(devicePlan, staleQ, kv.Layer(0), output.View));

        using (var otherContext = Accelerators.CreateContext())
        using (var other = Accelerators.CreateBest(otherContext, forceCpu: true))
        using (var foreign = other.Allocate1D<Half>(data.Q.Length))
            yield return Expect<ArgumentException>("Run with an output view of another accelerator", () => attention.Run(devicePlan, q.View, kv.Layer(0), foreign.View));

        var layer = kv.Layer(0);
        yield return Expect<ArgumentException>("KvLayer over views misaligned by one element", () =>
            new KvLayer(layer.K.SubView(1, kv.LayerElements - kv.SlotElements), layer.V.SubView(1, kv.LayerElements - kv.SlotElements),
                w.SlotCount - 1, heads));
        yield return Expect<InsufficientMemoryException>("KvCache larger than the device", () =>
            new KvCache(accelerator, heads, int.MaxValue, layers: int.MaxValue).Dispose());

        attention.Run(devicePlan, q.View, kv.Layer(0), output.View);
        accelerator.Synchronize();
        var got = output.GetAsArray1D().Select(h => (float)h).ToArray();
        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data).Output;
        double maxAbs = got.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        yield return new IsolationCheck.Result("a valid run afterwards matches the reference", maxAbs <= 2e-3, $"max |Δ| {maxAbs:E1}");
    }

    private static IsolationCheck.Result Expect<TException>(string name, Action action) where TException : Exception
    {
        try
        {
            action();
            return new IsolationCheck.Result(name, false, $"no exception (expected {typeof(TException).Name})");
        }
        catch (Exception e)
        {
            bool ok = e is TException;
            return new IsolationCheck.Result(name, ok, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
