using DeFT.Core;
using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Bench.Measurement;

/// <summary>
/// An inference engine's decode steps, as such an engine would drive the library: a <see cref="DecodeSession"/> over a
/// prompt and forked branches; per step the new tokens' K and V are "projected" on the device and written into the
/// cache by slot from device views (<see cref="KvCache.WriteTokens(int, ArrayView{int}, ArrayView{BFloat16}, ArrayView{BFloat16}, AcceleratorStream?)"/>),
/// q is on the device, everything is enqueued on one non-default stream; every step's output must match the
/// double-precision reference of the same (rounded) inputs with the same score transform.
/// </summary>
public static class EngineCheck
{
    /// <summary>
    /// Runs <paramref name="steps"/> decode steps of four branches under a <paramref name="promptTokens"/>-token prompt,
    /// the KV cache in pages of <paramref name="pageTokens"/> (the session's pool hands them out; 1: plain slots).
    /// </summary>
    public static IsolationCheck.Result DecodeSteps(Accelerator accelerator, HeadConfig heads, ElementType elements, ScoreTransform scores,
        int promptTokens = 40, int steps = 3, int pageTokens = 1, AttentionKernel? kernel = null)
    {
        var attention = new TreeAttention(accelerator, heads, kernel, new AttentionOptions { Elements = elements, Scores = scores });
        // Room for the prompt's pages and each branch's own pages.
        int pages = (promptTokens + pageTokens - 1) / pageTokens + 4 * ((steps + pageTokens) / pageTokens) + 8;
        int slotCount = pages * pageTokens;
        using var kv = new KvCache(accelerator, heads, slotCount, elements: elements);
        using var stream = accelerator.CreateStream();
        using var plan = attention.CreatePlan();
        var session = new DecodeSession(new SlotPool(slotCount, pageTokens));
        int prompt = session.AddRoot(promptTokens);
        for (int b = 0; b < 4; b++) session.Fork(prompt, tokens: 1);
        int row = heads.KvHeads * heads.HeadDim;
        var k = new float[(long)slotCount * row];
        var v = new float[k.Length];
        double worst = 0, worstLse = 0;
        bool finite = true;
        for (int step = 0; step < steps; step++)
        {
            if (step > 0) session.AppendToBranches();
            var slots = session.TakeNewSlots();
            // The engine's projection output for the new tokens, on the device: [new tokens, Hkv, D].
            var newK = Values(slots.Length * row, seed: 2 * step + 1, elements);
            var newV = Values(slots.Length * row, seed: 2 * step + 2, elements);
            for (int i = 0; i < slots.Length; i++)
            {
                Array.Copy(newK, (long)i * row, k, (long)slots[i] * row, row);
                Array.Copy(newV, (long)i * row, v, (long)slots[i] * row, row);
            }
            var queries = session.Queries();
            var q = Values((long)queries.Length * heads.QueryHeads * heads.HeadDim, seed: 100 + step, elements);
            using var slotView = accelerator.Allocate1D<int>(slots.Length);
            using var kNew = Upload(accelerator, newK, elements);
            using var vNew = Upload(accelerator, newV, elements);
            using var qDevice = Upload(accelerator, q, elements);
            using var output = accelerator.Allocate1D<ushort>(q.Length);
            using var lse = accelerator.Allocate1D<float>((long)queries.Length * heads.QueryHeads);
            slotView.View.CopyFromCPU(stream, slots);
            if (elements == ElementType.BFloat16)
                kv.WriteTokens(0, slotView.View, kNew.View.AsContiguous().Cast<BFloat16>(), vNew.View.AsContiguous().Cast<BFloat16>(), stream);
            else
                kv.WriteTokens(0, slotView.View, kNew.View.AsContiguous().Cast<System.Half>(), vNew.View.AsContiguous().Cast<System.Half>(), stream);
            attention.Upload(plan, session.Plan(PlanMethod.Flatten), stream);
            if (elements == ElementType.BFloat16)
                attention.Run(plan, qDevice.View.AsContiguous().Cast<BFloat16>(), kv.Layer(0), output.View.AsContiguous().Cast<BFloat16>(), lse.View, stream);
            else
                attention.Run(plan, qDevice.View.AsContiguous().Cast<System.Half>(), kv.Layer(0), output.View.AsContiguous().Cast<System.Half>(), lse.View, stream);
            stream.Synchronize();

            var result = output.GetAsArray1D().Select(bits => ElementBits.ToFloat(bits, elements)).ToArray();
            var data = new AttentionData(heads, queries.Length, slotCount, q, k, v);
            var reference = ReferenceAttention.Compute(session.Tree, queries, data, scores);
            finite &= result.All(float.IsFinite);
            for (int i = 0; i < result.Length; i++) worst = Math.Max(worst, Math.Abs(result[i] - reference.Output[i]));
            var lseValues = lse.GetAsArray1D();
            for (int i = 0; i < lseValues.Length; i++) worstLse = Math.Max(worstLse, Math.Abs(lseValues[i] - reference.Lse[i]));
        }
        double bound = BenchmarkOptions.MaxAbsToleranceFor(elements);
        bool passed = finite && worst <= bound && worstLse <= 4e-3;
        return new IsolationCheck.Result($"engine steps {elements} {heads} {scores} {attention.Kernel}" + (pageTokens > 1 ? $", {pageTokens}-token pages" : ""), passed,
            $"{steps} steps, device KV writes on a stream: max |Δ| {worst:G2} (bound {bound:G2}), LSE {worstLse:G2}");
    }

    /// <summary>
    /// K/V memory the engine allocated itself, attached by raw pointer (<see cref="KvLayer.FromPointers"/>): the same
    /// plan over the same bits must give bit for bit the output of a <see cref="KvCache"/> holding them.
    /// </summary>
    public static IsolationCheck.Result ForeignPointers(Accelerator accelerator)
    {
        var heads = new HeadConfig(8, 2, 64);
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 40));
        TreeQuery[] queries = [new(tree.Fork(root, Enumerable.Range(40, 9)), 9), new(tree.Fork(root, Enumerable.Range(49, 9)), 9)];
        int slotCount = 58, row = heads.KvHeads * heads.HeadDim;
        var k = Values((long)slotCount * row, seed: 1, ElementType.Float16).Select(x => (System.Half)x).ToArray();
        var v = Values((long)slotCount * row, seed: 2, ElementType.Float16).Select(x => (System.Half)x).ToArray();
        var q = Values((long)queries.Length * heads.QueryHeads * heads.HeadDim, seed: 3, ElementType.Float16).Select(x => (System.Half)x).ToArray();
        var attention = new TreeAttention(accelerator, heads);
        using var plan = attention.CreatePlan();
        attention.Upload(plan, TreePlanner.Plan(tree, queries, PlanMethod.Flatten));
        using var qDevice = accelerator.Allocate1D(q);
        using var output = accelerator.Allocate1D<System.Half>(q.Length);
        using var cache = new KvCache(accelerator, heads, slotCount);
        cache.WriteLayer(0, k, v);
        attention.Run(plan, qDevice.View, cache.Layer(0), output.View);
        var expected = output.GetAsArray1D();
        // The engine's own allocations (here made through ILGPU only to have device memory): attached by pointer.
        using var kOwned = accelerator.Allocate1D(k);
        using var vOwned = accelerator.Allocate1D(v);
        var layer = KvLayer.FromPointers(accelerator, kOwned.NativePtr, vOwned.NativePtr, slotCount, heads);
        output.MemSetToZero();
        attention.Run(plan, qDevice.View, layer, output.View);
        var actual = output.GetAsArray1D();
        bool same = expected.Select(BitConverter.HalfToUInt16Bits).SequenceEqual(actual.Select(BitConverter.HalfToUInt16Bits));
        return new IsolationCheck.Result("engine K/V attached by raw pointer", same,
            same ? "bit for bit the output over a KvCache holding the same K/V" : "outputs differ from the KvCache run");
    }

    // Values in [-1, 1) rounded to the element type, so the reference reads exactly what the kernels do.
    private static float[] Values(long count, int seed, ElementType elements)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, (int)count).Select(_ => ElementBits.Round((float)(random.NextDouble() * 2 - 1), elements)).ToArray();
    }

    private static MemoryBuffer1D<ushort, Stride1D.Dense> Upload(Accelerator accelerator, float[] values, ElementType elements) =>
        accelerator.Allocate1D(values.Select(x => ElementBits.From(x, elements)).ToArray());
}
