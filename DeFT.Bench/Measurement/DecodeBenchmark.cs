using System.Diagnostics;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;
using DeFT.Workloads;
using DeFT.Workloads.Replays;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>How the decode replays are run and checked.</summary>
/// <param name="Layers">Layers per step; each runs attention with the step's one plan.</param>
/// <param name="MaxSteps">At most this many steps of each replay (null: all).</param>
/// <param name="Samples">Queries of the last step checked against the double-precision reference.</param>
/// <param name="Planner">Planner options (the cost model is set for the heads).</param>
/// <param name="Device">Device name for the reports.</param>
/// <param name="PlanOnDevice">Also run every method the <see cref="DevicePlanner"/> supports with <paramref name="Planner"/> planned on the device, as its own report row.</param>
public sealed record DecodeOptions(int Layers, int? MaxSteps, int Samples, PlannerOptions Planner, string Device, bool PlanOnDevice = false);

/// <summary>
/// Replays a decode workload the way an inference engine drives the library, with a synthetic model, every method
/// side by side on the very same trees. Per step: the replay's tree changes on a <see cref="DecodeSession"/>; the new
/// tokens' K and V written for every layer and a fresh Q, random and generated on the device (not timed); then per
/// method: plan (host time), upload (host time, to completion) and attention of every layer with that one plan, each
/// layer's <c>TreeAttention.Run</c> between two device events (L2 is not flushed: a decode loop as it runs).
/// The last step's output (last layer) is checked against the double-precision reference on a sample of queries.
/// With <see cref="DecodeOptions.PlanOnDevice"/>, Flatten, Node and Adaptive (without a target) also run planned on the
/// device (rows named <c>flatten@device</c>, <c>node@device</c>, <c>adaptive@device</c>): their plan time is the whole <see cref="DevicePlanner.Plan"/> to completion
/// (the tree's delta upload, the planning kernels and the header read), their upload time 0. Each has its own planner,
/// so each pays the step's tree delta.
/// </summary>
public sealed class DecodeBenchmark
{
    private readonly Accelerator accelerator;
    private readonly DeviceRandom random;
    private readonly HashSet<(PlanMethod, bool)> warmPlanners = new();

    /// <summary>Loads the random generators on <paramref name="accelerator"/>.</summary>
    public DecodeBenchmark(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        random = new DeviceRandom(accelerator);
    }

    private sealed class Totals
    {
        public double Attention, Plan, PlanTree, PlanWait, Upload, Launch, KvBytes, MaxAbs = double.PositiveInfinity, RelL2 = double.PositiveInfinity;
        public int CheckedQueries;
    }

    /// <summary>Replays <paramref name="workload"/> with every one of <paramref name="methods"/>; <paramref name="progress"/> receives status lines.</summary>
    public List<DecodeRecord> Run(TreeAttention attention, DecodeWorkload workload, IReadOnlyList<PlanMethod> methods,
        DecodeOptions options, Action<string> progress)
    {
        // (method, planned on the device) pairs, each a report row.
        var variants = methods.SelectMany(m => options.PlanOnDevice && DevicePlanner.Supports(m, options.Planner) ? new[] { (m, false), (m, true) } : new[] { (m, false) }).ToList();
        var heads = attention.Heads;
        var stream = accelerator.DefaultStream;
        var replay = workload.Replay;
        int steps = Math.Min(replay.Steps, options.MaxSteps ?? int.MaxValue);
        int layers = options.Layers;
        int row = heads.KvHeads * heads.HeadDim;
        progress($"{workload.Name}: sizing");
        var (slotCount, maxQueries) = Size(replay, steps);

        using var kv = new KvCache(accelerator, heads, slotCount, layers);
        for (int layer = 0; layer < layers; layer++)
        {
            // fp16 NaN: a token whose K/V the loop forgot to write fails the check.
            kv.Layer(layer).K.MemSet(stream, 0xFF);
            kv.Layer(layer).V.MemSet(stream, 0xFF);
        }
        long qElements = (long)maxQueries * heads.QueryHeads * heads.HeadDim;
        using var q = accelerator.Allocate1D<Half>(qElements);
        using var output = accelerator.Allocate1D<Half>(qElements);
        using var newSlots = accelerator.Allocate1D<int>(slotCount);
        var writtenAt = new int[slotCount];
        var devicePlans = variants.Select(_ => attention.CreatePlan()).ToArray();
        // One device planner per device-planned variant: each keeps its own mirror of the tree and pays its own delta
        // upload every step, as an engine planning with that one method would.
        var devicePlanners = variants.Select(v => v.Item2 ? new DevicePlanner(attention) : null).ToArray();
        var totals = variants.Select(_ => new Totals()).ToArray();
        try
        {
            var planner = options.Planner with { CostModel = PlanCostModel.For(heads) };
            var session = new DecodeSession(new SlotPool(slotCount));
            replay.Start(session);
            for (int step = 0; step < steps; step++)
            {
                progress($"{workload.Name}: step {step + 1}/{steps}");
                replay.Step(session, step);
                WriteNewTokens(kv, newSlots.View, session.TakeNewSlots(), writtenAt, step);
                var queries = session.Queries();
                long rows = (long)queries.Length * heads.QueryHeads * heads.HeadDim;
                ArrayView<Half> qView = q.View.SubView(0, rows);
                ArrayView<Half> outView = output.View.SubView(0, rows);
                random.Fill(stream, qView, QuerySeed(step));
                stream.Synchronize();
                bool last = step == steps - 1;
                int checkedStep = step;
                var reference = last
                    ? new SampledReference(session.Tree, queries, heads, options.Samples,
                        index => DeviceRandom.Value(QuerySeed(checkedStep), index),
                        (slot, e) => DeviceRandom.Value(KeySeed(writtenAt[slot], layers - 1, layers), (long)slot * row + e),
                        (slot, e) => DeviceRandom.Value(KeySeed(writtenAt[slot], layers - 1, layers) + 1, (long)slot * row + e))
                    : null;
                for (int m = 0; m < variants.Count; m++)
                {
                    var t = totals[m];
                    var (method, onDevice) = variants[m];
                    AttentionPlan plan;
                    if (onDevice)
                    {
                        if (step == 0) WarmUp(devicePlanners[m]!, devicePlans[m], session, variants[m], planner, stream);
                        long deviceStart = Stopwatch.GetTimestamp();
                        session.PlanOnDevice(devicePlanners[m]!, devicePlans[m], method, planner, stream);
                        stream.Synchronize();
                        t.Plan += Stopwatch.GetElapsedTime(deviceStart).TotalSeconds;
                        var phases = devicePlanners[m]!.LastPhases;
                        t.PlanTree += phases.Tree;
                        t.PlanWait += phases.Wait;
                        plan = session.Plan(method, planner); // the same plan, for the IO model only (untimed)
                    }
                    else
                    {
                        if (warmPlanners.Add(variants[m])) HostTimer.Median(() => session.Plan(method, planner), reps: 1); // JIT warm-up, untimed

                        long start = Stopwatch.GetTimestamp();
                        plan = session.Plan(method, planner);
                        t.Plan += Stopwatch.GetElapsedTime(start).TotalSeconds;

                        start = Stopwatch.GetTimestamp();
                        attention.Upload(devicePlans[m], plan, stream);
                        stream.Synchronize();
                        t.Upload += Stopwatch.GetElapsedTime(start).TotalSeconds;
                    }

                    if (reference is not null) outView.MemSet(stream, 0xFF);
                    var (deviceSeconds, launchSeconds) = RunLayers(attention, devicePlans[m], qView, kv, outView);
                    t.Attention += deviceSeconds;
                    t.Launch += launchSeconds;
                    t.KvBytes += (double)PlanStatistics.Compute(plan, heads).KvBytesRead * layers;
                    if (reference is not null)
                    {
                        (t.MaxAbs, t.RelL2) = reference.Compare(outView.GetAsArray().Select(h => (float)h).ToArray());
                        t.CheckedQueries = reference.Indices.Length;
                    }
                }
            }
        }
        finally
        {
            foreach (var p in devicePlans) p.Dispose();
            foreach (var p in devicePlanners) p?.Dispose();
        }

        var records = variants.Select((variant, m) => new DecodeRecord
        {
            Workload = workload.Name, Description = workload.Description, Synthetic = workload.Synthetic,
            Method = Methods.NameOf(variant.Item1) + (variant.Item2 ? "@device" : ""),
            Status = totals[m].MaxAbs <= BenchmarkOptions.MaxAbsTolerance && totals[m].RelL2 <= BenchmarkOptions.RelL2Tolerance ? "ok" : "failed",
            Steps = steps, ReplaySteps = replay.Steps, Layers = layers, Hq = heads.QueryHeads, Hkv = heads.KvHeads, HeadDim = heads.HeadDim,
            PeakTokens = slotCount, MaxQueries = maxQueries,
            AttentionSeconds = totals[m].Attention, PlanSeconds = totals[m].Plan,
            PlanTreeSeconds = variant.Item2 ? totals[m].PlanTree : null, PlanWaitSeconds = variant.Item2 ? totals[m].PlanWait : null, UploadSeconds = totals[m].Upload, LaunchSeconds = totals[m].Launch,
            KvReadGB = totals[m].KvBytes / 1e9, MaxAbsError = totals[m].MaxAbs, RelL2Error = totals[m].RelL2,
            CheckedQueries = totals[m].CheckedQueries, Device = options.Device, PlannerTarget = options.Planner.Target?.ToString(),
        }).ToList();
        var baseline = records.FirstOrDefault(r => r.Method == Methods.NameOf(PlanMethod.Sequence));
        return records.Select(r => r with { SpeedupVsSequence = baseline?.AttentionSeconds / r.AttentionSeconds }).ToList();
    }

    /// <summary>
    /// Untimed, before a workload's first device plan: the planner's first plan allocates its mirror and workspace; and,
    /// once per variant, the JIT warm-up the host planner gets (<see cref="HostTimer"/>), alternating the session's tree
    /// with a small scratch tree so that every plan also runs the mirror's diff and upload (an unchanged tree skips them).
    /// </summary>
    private void WarmUp(DevicePlanner devicePlanner, DevicePlan target, DecodeSession session, (PlanMethod Method, bool OnDevice) variant,
        PlannerOptions options, AcceleratorStream stream)
    {
        if (!warmPlanners.Add(variant))
        {
            session.PlanOnDevice(devicePlanner, target, variant.Method, options, stream);
            return;
        }
        HostTimer.Median(() =>
        {
            devicePlanner.Plan(target, WarmUpTree.Tree, WarmUpTree.Queries, variant.Method, options, stream);
            session.PlanOnDevice(devicePlanner, target, variant.Method, options, stream);
            return 0;
        }, reps: 1);
    }

    private static readonly Workload WarmUpTree = TreeSpec.Build("1,4,8_16,4,2");

    /// <summary>Runs every layer with <paramref name="plan"/>, each between two device events; returns the summed device seconds and the host seconds spent in the calls.</summary>
    private (double Device, double Launch) RunLayers(TreeAttention attention, DevicePlan plan, ArrayView<Half> q, KvCache kv, ArrayView<Half> output)
    {
        double launchSeconds = 0;
        var stream = accelerator.DefaultStream;
        var markers = new List<(ProfilingMarker Start, ProfilingMarker End)>(kv.LayerCount);
        for (int layer = 0; layer < kv.LayerCount; layer++)
        {
            var startMarker = stream.AddProfilingMarker();
            long start = Stopwatch.GetTimestamp();
            attention.Run(plan, q, kv.Layer(layer), output, default, stream);
            launchSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            markers.Add((startMarker, stream.AddProfilingMarker()));
        }
        stream.Synchronize();
        double seconds = 0;
        foreach (var (startMarker, endMarker) in markers)
        {
            seconds += (endMarker - startMarker).TotalSeconds;
            startMarker.Dispose();
            endMarker.Dispose();
        }
        return (seconds, launchSeconds);
    }

    /// <summary>Writes K and V of <paramref name="slots"/> in every layer with the seeds of <paramref name="step"/>, and records when each slot was written.</summary>
    private void WriteNewTokens(KvCache kv, ArrayView<int> slotBuffer, int[] slots, int[] writtenAt, int step)
    {
        if (slots.Length == 0) return;
        var stream = accelerator.DefaultStream;
        var rows = slotBuffer.SubView(0, slots.Length);
        rows.AsDense().CopyFromCPU(stream, slots);
        int rowLength = kv.SlotElements;
        for (int layer = 0; layer < kv.LayerCount; layer++)
        {
            var l = kv.Layer(layer);
            uint seed = KeySeed(step, layer, kv.LayerCount);
            random.FillRows(stream, l.K, rows, rowLength, seed);
            random.FillRows(stream, l.V, rows, rowLength, seed + 1);
        }
        foreach (int slot in slots) writtenAt[slot] = step;
    }

    /// <summary>
    /// The KV-cache slots and the most queries the first <paramref name="steps"/> steps of <paramref name="replay"/>
    /// need, from a dry run of its tree changes on the host.
    /// </summary>
    private static (int Slots, int MaxQueries) Size(IDecodeReplay replay, int steps)
    {
        var pool = new SlotPool(int.MaxValue);
        var session = new DecodeSession(pool);
        replay.Start(session);
        int maxQueries = 0;
        for (int step = 0; step < steps; step++)
        {
            replay.Step(session, step);
            session.TakeNewSlots();
            maxQueries = Math.Max(maxQueries, session.Queries().Length);
        }
        return (Math.Max(1, pool.HighWaterMark), maxQueries);
    }

    // Seeds of the synthetic model: Q of step s uses 1 + s; K of the tokens written at step s in layer l uses an even
    // seed from 2^20 up, V the odd one after it. All stay below 2^24, where DeviceRandom's seeds stay distinct.
    private static uint QuerySeed(int step) => (uint)(1 + step);

    private static uint KeySeed(int step, int layer, int layers) => (uint)((1L << 20) + 2L * ((long)step * layers + layer));
}
