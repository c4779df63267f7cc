using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Core.Trees;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Workloads;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Branch isolation and fp16-edge numerics, checked on whatever accelerator runs them (issue 11): the CPU accelerator
/// in the tests, the GPU through the bench's <c>check</c> command (the CPU cannot show every failure: its float → fp16
/// conversion truncates and saturates where the GPU rounds to nearest and overflows).
/// </summary>
public static class IsolationCheck
{
    /// <summary>One check's outcome.</summary>
    public sealed record Result(string Name, bool Passed, string Detail);

    /// <summary>
    /// The issue's reproduction: a root of 8 tokens (slots 0–7) and two leaves of 6 (slots 8–13, 14–19), one query per
    /// leaf. The right leaf's slot 17 gets NaN in V, slot 16 +∞ in K and slot 15 −∞ in V: the left query must come out
    /// bit for bit as with clean inputs, the right one (which sees them) not finite.
    /// </summary>
    public static Result Neighbours(Accelerator accelerator, AttentionKernel kernel, HeadConfig heads, PlanMethod method, int seed = 1)
    {
        var tree = new DecodingTree();
        int root = tree.AddRoot(Enumerable.Range(0, 8));
        int left = tree.Fork(root, Enumerable.Range(8, 6));
        int right = tree.Fork(root, Enumerable.Range(14, 6));
        TreeQuery[] queries = [new(left, 6), new(right, 6)];
        var plan = TreePlanner.Plan(tree, queries, method, new PlannerOptions { BlockTokens = 64 });
        var clean = AttentionData.Random(heads, queries.Length, 20, seed);
        var poisoned = Poison(clean, (17, true, 5, float.NaN), (16, false, 3, float.PositiveInfinity), (15, true, 7, float.NegativeInfinity));
        using var attention = new AttentionScope(accelerator, heads, kernel);
        var before = attention.Run(plan, clean);
        var after = attention.Run(plan, poisoned);
        int row = heads.QueryHeads * heads.HeadDim;
        bool leftSame = Same(before, after, 0, row);
        bool rightPoisoned = Enumerable.Range(row, row).Any(i => !float.IsFinite((float)after[i]));
        return new Result($"neighbours {kernel} {method} {heads}", leftSame && rightPoisoned,
            $"other branch bit-identical: {leftSame}; poisoned branch non-finite: {rightPoisoned}");
    }

    /// <summary>
    /// A random forest in a KV cache twice its size: every slot the tree does not use, and the tokens that only one
    /// query sees, hold NaN and ±∞ in K and V. Every other query must come out bit for bit as with clean inputs.
    /// </summary>
    public static Result UnrelatedTokens(Accelerator accelerator, AttentionKernel kernel, HeadConfig heads, PlanMethod method, int seed)
    {
        var (tree, queries, slotCount) = new RandomTreeBuilder { Nodes = 8, Roots = 2, MaxTokens = 24 }.Build(seed);
        var paths = queries.Select(q => ReferenceAttention.PathSlots(tree, q)).ToArray();
        var seenBy = new int[slotCount];
        foreach (var path in paths)
            foreach (int slot in path.Distinct()) seenBy[slot]++;
        int victim = Enumerable.Range(0, queries.Length).FirstOrDefault(q => paths[q].Any(s => seenBy[s] == 1), -1);
        var poisons = new List<(int, bool, int, float)>();
        for (int slot = 0; slot < slotCount; slot++)
        {
            bool private_ = victim >= 0 && seenBy[slot] == 1 && paths[victim].Contains(slot);
            if (seenBy[slot] == 0 || private_)
            {
                float value = (slot % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
                poisons.Add((slot, slot % 2 == 0, slot % heads.HeadDim, value));
            }
        }
        var plan = TreePlanner.Plan(tree, queries, method, new PlannerOptions { BlockTokens = 32 });
        var clean = AttentionData.Random(heads, queries.Length, slotCount, seed);
        var poisoned = Poison(clean, [.. poisons]);
        using var attention = new AttentionScope(accelerator, heads, kernel);
        var before = attention.Run(plan, clean);
        var after = attention.Run(plan, poisoned);
        int row = heads.QueryHeads * heads.HeadDim;
        var differing = Enumerable.Range(0, queries.Length).Where(q => q != victim && !Same(before, after, q * row, row)).ToArray();
        return new Result($"unrelated tokens {kernel} {method} seed {seed}", differing.Length == 0,
            $"{poisons.Count} poisoned slots, {queries.Length} queries (query {victim} sees some); queries changed: [{string.Join(", ", differing)}]");
    }

    /// <summary>
    /// One query over 32 tokens with V = 65504 (the largest fp16) everywhere, and scores such that 31 probabilities lie just
    /// above a rounding midpoint of fp16 (p = 2^−0.99925 ≈ 0.50026 rounds up to 0.50049): the exact output is 65504. If the
    /// row sum were taken from the unrounded probabilities while P·V used the rounded ones, the ratio would be 65532, which
    /// a GPU rounds to +∞ in fp16.
    /// </summary>
    public static Result Fp16Edge(Accelerator accelerator, AttentionKernel kernel)
    {
        var heads = new HeadConfig(1, 1, 64); // scale 1/8: score difference (8 − 2.458984375)/8·log2(e) ≈ 0.99925
        var tree = new DecodingTree();
        int node = tree.AddRoot(Enumerable.Range(0, 32));
        TreeQuery[] queries = [new(node, 32)];
        var plan = TreePlanner.Plan(tree, queries, PlanMethod.Flatten);
        var q = new float[heads.HeadDim];
        var k = new float[32 * heads.HeadDim];
        var v = new float[32 * heads.HeadDim];
        q[0] = 1f;
        for (int t = 0; t < 32; t++) k[t * heads.HeadDim] = t == 0 ? 8f : 2.458984375f;
        Array.Fill(v, 65504f);
        var data = new AttentionData(heads, 1, 32, q, k, v);
        using var attention = new AttentionScope(accelerator, heads, kernel);
        var output = attention.Run(plan, data);
        bool exact = output.All(h => (float)h == 65504f);
        return new Result($"fp16 edge {kernel}", exact, $"outputs: {string.Join(", ", output.Select(h => (float)h).Distinct())} (expected 65504)");
    }

    // Copies `data` with single K or V elements (slot, V?, dim, value) replaced, in every KV head.
    private static AttentionData Poison(AttentionData data, params (int Slot, bool Values, int Dim, float Value)[] poisons)
    {
        var k = (float[])data.K.Clone();
        var v = (float[])data.V.Clone();
        foreach (var (slot, values, dim, value) in poisons)
            for (int h = 0; h < data.Heads.KvHeads; h++)
                (values ? v : k)[data.KvOffset(slot, h) + dim] = value;
        return new AttentionData(data.Heads, data.QueryCount, data.SlotCount, data.Q, k, v);
    }

    private static bool Same(Half[] a, Half[] b, int start, int count)
    {
        for (int i = start; i < start + count; i++)
            if (Interop.FloatAsInt(a[i]) != Interop.FloatAsInt(b[i])) return false;
        return true;
    }

    // One TreeAttention and the device buffers of a run; outputs are poisoned with NaN before each run.
    private sealed class AttentionScope(Accelerator accelerator, HeadConfig heads, AttentionKernel kernel) : IDisposable
    {
        private readonly TreeAttention attention = new(accelerator, heads, kernel);
        private readonly List<IDisposable> owned = [];

        public Half[] Run(AttentionPlan plan, AttentionData data)
        {
            var kv = new KvCache(accelerator, heads, data.SlotCount);
            owned.Add(kv);
            kv.WriteLayer(0, HalfArray.From(data.K), HalfArray.From(data.V));
            var q = accelerator.Allocate1D(HalfArray.From(data.Q));
            var output = accelerator.Allocate1D(Enumerable.Repeat((Half)float.NaN, data.Q.Length).ToArray());
            owned.Add(q);
            owned.Add(output);
            var devicePlan = attention.CreatePlan();
            owned.Add(devicePlan);
            attention.Upload(devicePlan, plan);
            attention.Run(devicePlan, q.View, kv.Layer(0), output.View);
            accelerator.Synchronize();
            return output.GetAsArray1D();
        }

        public void Dispose()
        {
            foreach (var d in owned) d.Dispose();
        }
    }
}
