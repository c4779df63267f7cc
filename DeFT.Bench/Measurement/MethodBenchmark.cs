using System.Diagnostics;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Workloads;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>How to measure: repetitions, L2 eviction before each timed rep, floors and tolerances.</summary>
public sealed record BenchmarkOptions(int Warmups, int Reps, L2Eviction Eviction, int Samples, PlannerOptions Planner,
    double BandwidthGBs, double? TensorTflops, string Device, TargetChoice? Target = null)
{
    /// <summary>
    /// Tensor FLOPs per byte of bandwidth on this device (130 where the tensor rate is unknown), to two significant
    /// digits: the measured ratio varies by a few percent from run to run (129–132 on an H200), and the cost model's
    /// packing of some trees flipped with it (D_pat_1,256_256,32 at 32:32: 36, 56 or 132 Adaptive items).
    /// </summary>
    public double FlopsPerByte => TensorTflops is double t ? TwoDigits(t * 1e3 / BandwidthGBs) : 130;

    private static double TwoDigits(double x)
    {
        double scale = Math.Pow(10, Math.Floor(Math.Log10(x)) - 1);
        return Math.Round(x / scale) * scale;
    }

    /// <summary>Max |Δ| allowed against the reference (fp16 outputs).</summary>
    public const double MaxAbsTolerance = 2e-3;

    /// <summary>Relative L2 error allowed against the reference (fp16 outputs).</summary>
    public const double RelL2Tolerance = 1e-3;

    /// <summary>Max |Δ| allowed for <paramref name="elements"/>: bf16 keeps 8 significand bits to fp16's 11, so 8× the fp16 bound.</summary>
    public static double MaxAbsToleranceFor(ElementType elements) => elements == ElementType.BFloat16 ? 8 * MaxAbsTolerance : MaxAbsTolerance;

    /// <summary>Relative L2 error allowed for <paramref name="elements"/>.</summary>
    public static double RelL2ToleranceFor(ElementType elements) => elements == ElementType.BFloat16 ? 8 * RelL2Tolerance : RelL2Tolerance;
}

/// <summary>
/// Benchmarks every method on one (workload, heads): random Q/K/V (fp16 or bf16) generated on the device, the
/// reference on a sample of queries, then per method plan → upload → check → time (device events, L2
/// evicted before each rep as <see cref="BenchmarkOptions.Eviction"/> says).
/// </summary>
public sealed class MethodBenchmark : IDisposable
{
    private const uint QSeed = 11, KSeed = 22, VSeed = 33;
    private readonly Accelerator accelerator;
    private readonly DeviceRandom random;
    private readonly L2Evictor? evictor;

    /// <summary>
    /// Prepares the random generator and, on a GPU when <paramref name="eviction"/> evicts, the
    /// <see cref="L2Evictor"/> (a 256 MB buffer read or cleared before each timed rep).
    /// </summary>
    public MethodBenchmark(Accelerator accelerator, L2Eviction eviction = L2Eviction.Read)
    {
        this.accelerator = accelerator;
        random = new DeviceRandom(accelerator);
        if (accelerator.AcceleratorType == AcceleratorType.Cuda && eviction != L2Eviction.None) evictor = new L2Evictor(accelerator);
    }

    /// <summary>Frees the eviction buffer.</summary>
    public void Dispose() => evictor?.Dispose();

    /// <summary>Runs <paramref name="methods"/> on <paramref name="workload"/>; <paramref name="progress"/> receives status lines.</summary>
    public List<RunRecord> Run(TreeAttention attention, Workload workload, IReadOnlyList<PlanMethod> methods,
        BenchmarkOptions options, Action<string> progress)
    {
        var heads = attention.Heads;
        var stream = accelerator.DefaultStream;
        progress($"{workload.Name} {heads}: generating data");
        var elements = attention.Options.Elements;
        using var kv = new KvCache(accelerator, heads, workload.SlotCount, elements: elements);
        var layer = kv.Layer(0);
        random.Fill(stream, layer.KBits, KSeed, elements);
        random.Fill(stream, layer.VBits, VSeed, elements);
        long rows = (long)workload.Queries.Length * heads.QueryHeads;
        using var q = accelerator.Allocate1D<ushort>(rows * heads.HeadDim);
        using var output = accelerator.Allocate1D<ushort>(rows * heads.HeadDim);
        random.Fill(stream, q.View, QSeed, elements);
        progress($"{workload.Name} {heads}: reference on a sample of queries");
        var reference = new SampledReference(workload.Tree, workload.Queries, heads, QSeed, KSeed, VSeed, options.Samples, elements);
        using var devicePlan = attention.CreatePlan();
        var planner = options.Planner with
        {
            CostModel = PlanCostModel.For(heads, flopsPerByte: options.FlopsPerByte),
            Target = options.Target?.Resolve(heads, attention),
        };
        var records = new List<RunRecord>();
        foreach (var method in methods)
        {
            progress($"{workload.Name} {heads}: {Methods.NameOf(method)}");
            var (plan, planUs) = HostTimer.Median(() => TreePlanner.Plan(workload.Tree, workload.Queries, method, planner), reps: 5);
            var sw = Stopwatch.StartNew();
            attention.Upload(devicePlan, plan, stream);
            stream.Synchronize();
            double uploadUs = sw.Elapsed.TotalMicroseconds;

            output.View.MemSet(stream, 0xFF); // NaN in fp16 and bf16: an element the kernels forget to write fails the check
            attention.Run(devicePlan, elements, q.View, layer, output.View, default, stream);
            stream.Synchronize();
            var (maxAbs, relL2) = reference.Compare(output.GetAsArray1D().Select(bits => ElementBits.ToFloat(bits, elements)).ToArray());
            bool ok = maxAbs <= BenchmarkOptions.MaxAbsToleranceFor(elements) && relL2 <= BenchmarkOptions.RelL2ToleranceFor(elements);

            Percentiles? times = null;
            if (ok)
            {
                var eviction = evictor is null ? L2Eviction.None : options.Eviction;
                Action<AcceleratorStream>? flush = eviction == L2Eviction.None ? null : s => evictor!.Evict(s, eviction);
                times = Percentiles.Of(DeviceTimer.Measure(stream, s => attention.Run(devicePlan, elements, q.View, layer, output.View, default, s),
                    options.Warmups, options.Reps, flush));
            }
            var stats = PlanStatistics.Compute(plan, heads, partialElementBytes: TreeAttention.PartialElementBytes(elements));
            double memoryFloor = Floors.MemoryUs(stats, options.BandwidthGBs);
            double? computeFloor = Floors.ComputeUs(stats, options.TensorTflops);
            double floor = Math.Max(memoryFloor, computeFloor ?? 0);
            records.Add(new RunRecord
            {
                Workload = workload.Name, Hq = heads.QueryHeads, Hkv = heads.KvHeads, HeadDim = heads.HeadDim,
                Elements = elements == ElementType.BFloat16 ? "bf16" : "fp16",
                Method = Methods.NameOf(method), Kernel = KernelChoice.NameOf(attention.Kernel, devicePlan.Kernel), Status = ok ? "ok" : "failed",
                MedianUs = times?.Median, P10Us = times?.P10, P90Us = times?.P90,
                MemoryFloorUs = memoryFloor, ComputeFloorUs = computeFloor, FloorRatio = times?.Median / floor,
                MaxAbsError = maxAbs, RelL2Error = relL2, CheckedQueries = reference.Indices.Length,
                KvBytesRead = stats.KvBytesRead, UniqueKvBytes = stats.UniqueKvBytes, PartialBytesWritten = stats.PartialBytesWritten,
                WorkItems = stats.WorkItems, Flops = stats.Flops, PlanUs = planUs, UploadUs = uploadUs,
                Device = options.Device, Synthetic = workload.Synthetic,
                L2 = Evicted(options) ? "evicted" : "warm", L2Eviction = EvictionChoice.NameOf(Evicted(options) ? options.Eviction : L2Eviction.None),
                L2EvictionBytes = Evicted(options) ? evictor!.Bytes : null,
                BandwidthGbs = options.BandwidthGBs, TensorTflops = options.TensorTflops,
                PlannerTarget = planner.Target?.ToString(),
            });
        }
        var baseline = records.FirstOrDefault(r => r.Method == Methods.NameOf(PlanMethod.Sequence) && r.MedianUs is not null);
        return records.Select(r => r with { SpeedupVsSequence = baseline?.MedianUs / r.MedianUs }).ToList();
    }

    private bool Evicted(BenchmarkOptions options) => evictor is not null && options.Eviction != L2Eviction.None;
}
