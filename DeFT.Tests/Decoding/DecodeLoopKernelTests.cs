using DeFT.Core;
using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;
using DeFT.Tests.Planning;
using DeFT.Tests.Kernels;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Tests.Decoding;

/// <summary>
/// The README's decode loop end to end on the CPU accelerator: per step, change the tree, write the new tokens'
/// K/V of every layer with <c>KvCache.WriteTokens</c>, plan and upload once, run every layer, and compare
/// each layer's output with the double-precision reference on the current tree. Planned on the host, or on the device
/// wherever it can (Flatten and Node steps, each checked against the host plan; the others fall back to the host).
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DecodeLoopKernelTests(CpuAcceleratorFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_step_of_a_small_decode_loop_matches_the_reference(bool planOnDevice)
    {
        var heads = new HeadConfig(2, 1, 64);
        const int layers = 2, capacity = 40;
        int row = heads.KvHeads * heads.HeadDim;
        var attention = fixture.For(heads);
        var accelerator = fixture.Accelerator;
        using var kv = new KvCache(accelerator, heads, capacity, layers);
        using var devicePlan = attention.CreatePlan();
        var session = new DecodeSession(new SlotPool(capacity));
        var rng = new Random(7);
        var keys = Enumerable.Range(0, layers).Select(_ => new float[capacity * row]).ToArray();
        var values = Enumerable.Range(0, layers).Select(_ => new float[capacity * row]).ToArray();
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(System.Half)(rng.NextSingle() * 2 - 1)).ToArray();

        int prompt = 0, left = 0, right = 0;
        int[] candidates = Array.Empty<int>();
        var steps = new (string Name, PlanMethod Method, Action Change)[]
        {
            ("prompt and two branches", PlanMethod.Flatten, () => { prompt = session.AddRoot(12); left = session.Fork(prompt, 1); right = session.Fork(prompt, 1); }),
            ("one token per branch", PlanMethod.Node, () => session.AppendToBranches()),
            ("prune, fork into the freed slots, grow", PlanMethod.Adaptive, () => { session.Prune(right); right = session.Fork(prompt, 2); session.AppendToBranches(); }),
            ("token tree", PlanMethod.Sequence, () => candidates = session.AddCandidates(right, new[] { -1, 0, 0, 1 })),
            ("accept two, grow", PlanMethod.Flatten, () => { session.Accept(right, new[] { candidates[0], candidates[1] }); session.AppendToBranches(); }),
        };
        foreach (var (name, method, change) in steps)
        {
            change();
            var newSlots = session.TakeNewSlots();
            var queries = session.Queries();
            // Adaptive plans for the accelerator, as the README's loop does.
            var options = new PlannerOptions { BlockTokens = 16, Target = method == PlanMethod.Adaptive ? attention.ParallelismTarget() : null };
            if (planOnDevice && DevicePlanner.Supports(method, options))
            {
                session.PlanOnDevice(fixture.PlannerFor(heads), devicePlan, method, options);
                DevicePlanComparison.AssertHolds(attention, devicePlan, session.Plan(method, options), $"step '{name}'");
            }
            else attention.Upload(devicePlan, session.Plan(method, options));
            var q = Random(queries.Length * heads.QueryHeads * heads.HeadDim);
            using var qBuffer = accelerator.Allocate1D(KernelRunner.ToHalf(q));
            for (int layer = 0; layer < layers; layer++)
            {
                var k = Random(newSlots.Length * row);
                var v = Random(newSlots.Length * row);
                kv.WriteTokens(layer, newSlots, KernelRunner.ToHalf(k), KernelRunner.ToHalf(v));
                for (int i = 0; i < newSlots.Length; i++)
                {
                    Array.Copy(k, i * row, keys[layer], newSlots[i] * row, row);
                    Array.Copy(v, i * row, values[layer], newSlots[i] * row, row);
                }
                using var output = accelerator.Allocate1D(Enumerable.Repeat((Half)float.NaN, q.Length).ToArray()); // poison: an element the kernels forget to write fails the check
                attention.Run(devicePlan, qBuffer.View, kv.Layer(layer), output.View);
                accelerator.Synchronize();

                var data = new AttentionData(heads, queries.Length, capacity, q, keys[layer], values[layer]);
                var expected = ReferenceAttention.Compute(session.Tree, queries, data);
                var (maxAbs, relL2) = ErrorMetrics.Compare(output.GetAsArray1D().Select(h => (float)h).ToArray(), expected.Output);
                maxAbs.Should().BeLessThan(2e-3, $"step '{name}', layer {layer}");
                relL2.Should().BeLessThan(1e-3, $"step '{name}', layer {layer}");
            }
            session.Pool.InUse.Should().Be((int)session.Tree.TokenCount, name);
        }
        session.Tree.Slots(right).Should().HaveCount(2 + 1 + 2 + 1, "the accepted tokens joined the branch, then it grew");
    }
}
