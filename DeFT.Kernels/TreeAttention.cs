using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels.Attention;
using DeFT.Kernels.Device;
using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Half = ILGPU.Half;

namespace DeFT.Kernels;

/// <summary>
/// Tree attention in the plan/run style of FlashInfer. Create one per accelerator and head config: the
/// constructor compiles (loads) the kernels once. Per decode step, <see cref="Upload"/> a host
/// <see cref="AttentionPlan"/> into a <see cref="DevicePlan"/>; per layer, <c>Run</c> only validates
/// shapes on the host and enqueues the partial-attention and merge kernels (no allocation, no upload, no kernel load;
/// on CUDA, a plan's narrow tasks run on a second stream beside its wide ones, joined by events before the merge). The plan's
/// method (Adaptive, Flatten, Node or Sequence) decides the grouping; the same kernels run all of them. The
/// partial-attention kernel (<see cref="AttentionKernel"/>) is fixed in the constructor or, with
/// <see cref="AttentionKernel.Auto"/> (the default on CUDA), chosen per plan at upload.
/// </summary>
public sealed class TreeAttention
{
    private readonly Action<AcceleratorStream, KernelConfig, AttentionParams>? cudaCoreKernel;
    private readonly Action<AcceleratorStream, KernelConfig, AttentionParams>? tensorCoreKernel;
    private readonly Action<AcceleratorStream, KernelConfig, AttentionParams> mergeKernel;
    private readonly Action<AcceleratorStream, KernelConfig, AttentionParams>? streamingKernel;
    private readonly KernelConfig tensorCoreConfig;
    private readonly KernelConfig streamingConfig;
    private readonly StreamFork? fork; // on CUDA: runs a plan's wide and narrow launches side by side

    /// <summary>Average queries per KV token read above which <see cref="AttentionKernel.Auto"/> picks tensor cores.</summary>
    public const double TensorCoreSharingThreshold = DeFT.Core.Planning.ParallelismTarget.StreamingSharing;

    /// <summary>Head dimensions the kernels are built for (the tensor-core kernel runs them all).</summary>
    public static IReadOnlyList<int> SupportedHeadDims => TensorCoreLayout.HeadDims;

    /// <summary>Head dimensions the CUDA-core kernel (<see cref="AttentionKernel.CudaCore"/>) also runs.</summary>
    public static IReadOnlyList<int> CudaCoreHeadDims { get; } = new[] { 64, 128 };

    /// <summary>
    /// Compiles the kernels for <paramref name="heads"/> on <paramref name="accelerator"/>, with the partial-attention
    /// <paramref name="kernel"/> (default: <see cref="DefaultKernel(Accelerator, int)"/>) and <paramref name="options"/>
    /// (default: fp16, scale 1/√D, no soft cap).
    /// </summary>
    /// <exception cref="NotSupportedException">The head dimension is not one of <see cref="SupportedHeadDims"/> (or, for
    /// the CUDA-core kernel, <see cref="CudaCoreHeadDims"/>), or the accelerator is not one the kernels run on (see
    /// <see cref="DeviceChecks.Supported"/>).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    public TreeAttention(Accelerator accelerator, HeadConfig heads, AttentionKernel? kernel = null, AttentionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        DeviceChecks.Live(accelerator);
        DeviceChecks.Supported(accelerator);
        Accelerator = accelerator;
        Heads = heads;
        Options = options ?? new AttentionOptions();
        if (!Enum.IsDefined(Options.Elements))
            throw new ArgumentOutOfRangeException(nameof(options), Options.Elements, "Unknown element type.");
        Scores = Options.Scores ?? ScoreTransform.Default(heads);
        if (!SupportedHeadDims.Contains(heads.HeadDim))
            throw new NotSupportedException(
                $"Head dimension {heads.HeadDim} is not supported; kernels exist for {string.Join(", ", SupportedHeadDims)}.");
        Kernel = kernel ?? DefaultKernel(accelerator, heads.HeadDim);
        if (!Enum.IsDefined(Kernel)) throw new ArgumentOutOfRangeException(nameof(kernel), Kernel, "Unknown attention kernel.");
        if (Kernel == AttentionKernel.CudaCore && !CudaCoreHeadDims.Contains(heads.HeadDim))
            throw new NotSupportedException(
                $"The CUDA-core kernel runs head dimensions {string.Join(", ", CudaCoreHeadDims)}, not {heads.HeadDim}; use the tensor-core kernel.");
        PtxIntrinsics.Register(accelerator.Context);
        bool capped = Scores.SoftCap > 0;
        (cudaCoreKernel, tensorCoreKernel, streamingKernel, mergeKernel, tensorCoreConfig, streamingConfig) = heads.HeadDim switch
        {
            64 => Load<HeadDim64>(accelerator, Kernel, Options.Elements, capped),
            96 => Load<HeadDim96>(accelerator, Kernel, Options.Elements, capped),
            128 => Load<HeadDim128>(accelerator, Kernel, Options.Elements, capped),
            _ => Load<HeadDim256>(accelerator, Kernel, Options.Elements, capped),
        };
        if (tensorCoreKernel is not null) fork = StreamFork.TryCreate(accelerator);
    }

    /// <summary>The element type, softmax scale and soft cap this instance was built with.</summary>
    public AttentionOptions Options { get; }

    /// <summary>The score transform in effect (<see cref="AttentionOptions.Scores"/> or the default of the heads).</summary>
    public ScoreTransform Scores { get; }

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The head configuration the kernels were built for.</summary>
    public HeadConfig Heads { get; }

    /// <summary>The partial-attention kernel this instance runs (<see cref="AttentionKernel.Auto"/>: chosen per plan).</summary>
    public AttentionKernel Kernel { get; }

    /// <summary>
    /// Rows (query × query head pairs) per thread-group task of a concrete <paramref name="kernel"/> on plans that share
    /// KV; device plans cut work items by it (streaming plans, <see cref="IsStreaming"/>, run the tensor-core kernel's
    /// one-warp shape of 16 rows).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kernel"/> is <see cref="AttentionKernel.Auto"/> or not a defined value.</exception>
    public static int RowsPerTask(AttentionKernel kernel) => kernel switch
    {
        AttentionKernel.TensorCore => TensorCoreLayout.RowsPerTask<TensorCoreShape<HeadDim128>>(),
        AttentionKernel.CudaCore => PartialAttentionKernel.RowsPerTask,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "RowsPerTask needs a concrete kernel: CudaCore or TensorCore."),
    };

    /// <summary>Bytes of one element of a partial row for <paramref name="elements"/> (<see cref="IElement.HalfPartials"/>): 2 for fp16, 4 (fp32) for bf16.</summary>
    internal static int PartialElementBytes(ElementType elements) =>
        (elements == ElementType.Float16 ? default(Float16Element).HalfPartials : default(BFloat16Element).HalfPartials) ? 2 : sizeof(float);

    /// <summary>Rows per task of <paramref name="kernel"/> on a plan that is (<paramref name="streaming"/>) or is not streaming.</summary>
    internal static int RowsPerTask(AttentionKernel kernel, bool streaming) =>
        kernel == AttentionKernel.TensorCore && streaming ? TensorCoreLayout.RowsPerTask<StreamingTensorCoreShape<HeadDim128>>() : RowsPerTask(kernel);

    /// <summary>
    /// Rows at or under which a work item of a plan that shares KV is one narrow task, run by the tensor-core kernel's
    /// one-warp streaming shape in a second launch, when such items hold most of the plan's tokens
    /// (<see cref="NarrowTasks.Split"/>; 0: none, for the CUDA-core kernel). A leaf seen by one query fills 4 of the
    /// four-warp shape's 64 rows at GQA 4 and leaves three warps with nothing but copies; the narrow shape streams the
    /// same tokens with six groups per SM.
    /// </summary>
    internal static int NarrowRows(AttentionKernel kernel, bool streaming) =>
        kernel == AttentionKernel.TensorCore && !streaming ? RowsPerTask(kernel, streaming: true) : 0;

    /// <summary>The least narrow token-heads for the split (<see cref="NarrowTasks.MinTokenHeads"/>); tests lower it.</summary>
    internal long NarrowMinTokenHeads { get; init; } = NarrowTasks.MinTokenHeads;

    /// <summary>
    /// Groups of the tensor-core kernel resident per SM where the driver is not asked (off CUDA): 3, its occupancy at D 128
    /// (the four-warp shape's launch bounds: 168 registers × 128 threads, measured with the bench's <c>ptx --device</c> on an H200).
    /// </summary>
    public const int TensorCoreGroupsPerMultiprocessor = 3;

    /// <summary>
    /// Groups of the tensor-core kernel's one-warp streaming shape resident per SM where the driver is not asked (off CUDA):
    /// 6 at D 128, as many as an SM's shared memory holds (<see cref="IsStreaming"/> plans run it).
    /// </summary>
    public const int StreamingGroupsPerMultiprocessor = 6;

    /// <summary>Groups of the CUDA-core kernel resident per SM where the driver is not asked (off CUDA): 8 (64 registers × 128 threads).</summary>
    public const int CudaCoreGroupsPerMultiprocessor = 8;

    /// <summary>
    /// The parallelism of this accelerator for the planner (<see cref="PlannerOptions.Target"/>): its SM count, the groups
    /// per SM of the partial-attention <paramref name="kernel"/> (default: this instance's; <see cref="AttentionKernel.Auto"/>
    /// counts as the tensor-core kernel, which Auto runs on the plans that share KV, where the cut matters) and its rows
    /// per task, for these heads. On CUDA the groups per SM come from the driver's occupancy calculator for the loaded
    /// kernel; elsewhere (or for a kernel this instance did not load) from <see cref="TensorCoreGroupsPerMultiprocessor"/>
    /// and <see cref="CudaCoreGroupsPerMultiprocessor"/>. For tensor cores the target names the streaming shape's as its
    /// <see cref="DeFT.Core.Planning.ParallelismTarget.Streaming"/> target (groups per SM likewise, or
    /// <see cref="StreamingGroupsPerMultiprocessor"/>; 16 rows), for trees that share no KV.
    /// </summary>
    public DeFT.Core.Planning.ParallelismTarget ParallelismTarget(AttentionKernel? kernel = null)
    {
        var concrete = kernel ?? Kernel;
        if (!Enum.IsDefined(concrete)) throw new ArgumentOutOfRangeException(nameof(kernel), concrete, "Unknown attention kernel.");
        if (concrete == AttentionKernel.Auto) concrete = AttentionKernel.TensorCore;
        int multiprocessors = Math.Max(1, Accelerator.NumMultiprocessors);
        if (concrete == AttentionKernel.CudaCore)
            return DeFT.Core.Planning.ParallelismTarget.For(Heads, multiprocessors,
                GroupsPerMultiprocessor(cudaCoreKernel, PartialAttentionKernel.GroupSize, 0, CudaCoreGroupsPerMultiprocessor), RowsPerTask(concrete));
        return DeFT.Core.Planning.ParallelismTarget.For(Heads, multiprocessors,
            GroupsPerMultiprocessor(tensorCoreKernel, tensorCoreConfig.GroupDim.X, tensorCoreConfig.SharedMemoryConfig.ArraySize,
                TensorCoreGroupsPerMultiprocessor), RowsPerTask(concrete)) with
        {
            Streaming = DeFT.Core.Planning.ParallelismTarget.For(Heads, multiprocessors,
                GroupsPerMultiprocessor(streamingKernel, streamingConfig.GroupDim.X, streamingConfig.SharedMemoryConfig.ArraySize,
                    StreamingGroupsPerMultiprocessor), RowsPerTask(concrete, streaming: true)),
        };
    }

    // Groups of a loaded kernel resident per SM by the driver's occupancy calculator on CUDA; `fallback` elsewhere or
    // when this instance did not load the kernel.
    private int GroupsPerMultiprocessor(Action<AcceleratorStream, KernelConfig, AttentionParams>? launcher, int groupSize,
        int dynamicSharedBytes, int fallback) =>
        launcher is not null && Accelerator.AcceleratorType == AcceleratorType.Cuda
            ? Math.Max(1, Accelerator.EstimateMaxActiveGroupsPerMultiprocessor(launcher.GetKernel(), groupSize, dynamicSharedBytes))
            : fallback;

    /// <summary>
    /// The kernel used when none is named: <see cref="AttentionKernel.Auto"/> on CUDA, else <see cref="AttentionKernel.CudaCore"/>
    /// (the tensor-core emulation on the CPU is slow) where it runs <paramref name="headDim"/>, else <see cref="AttentionKernel.TensorCore"/>.
    /// </summary>
    public static AttentionKernel DefaultKernel(Accelerator accelerator, int headDim = 128)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.AcceleratorType == AcceleratorType.Cuda) return AttentionKernel.Auto;
        return CudaCoreHeadDims.Contains(headDim) ? AttentionKernel.CudaCore : AttentionKernel.TensorCore;
    }

    /// <summary>
    /// True when <paramref name="plan"/>'s work items compute at most <see cref="TensorCoreSharingThreshold"/> queries per
    /// KV token read on average: every token serves about one query (sequence plans, trees without sharing), so the plan
    /// is memory-bound. Such plans run the tensor-core kernel's one-warp streaming shape (more tiles in flight per SM) or,
    /// on CUDA cores, with a task's rows packed into few warps.
    /// </summary>
    public static bool IsStreaming(AttentionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        long tokens = 0, pairs = 0;
        foreach (var item in plan.Items)
        {
            tokens += item.TokenCount;
            pairs += (long)item.TokenCount * item.QueryCount;
        }
        return IsStreamingTotals(tokens, pairs);
    }

    /// <summary>The streaming test of <see cref="IsStreaming(AttentionPlan)"/> on a plan's Σ item tokens and Σ item tokens × queries.</summary>
    internal static bool IsStreamingTotals(long tokens, long pairs) => DeFT.Core.Planning.ParallelismTarget.SharesFew(tokens, pairs);

    /// <summary>The concrete kernel device plans are cut for: <see cref="Kernel"/>, with <see cref="AttentionKernel.Auto"/> as tensor cores (streaming plans then run their one-warp shape).</summary>
    internal AttentionKernel UploadKernel => Kernel == AttentionKernel.Auto ? AttentionKernel.TensorCore : Kernel;

    /// <summary>Creates an empty device plan bound to this instance.</summary>
    /// <exception cref="ObjectDisposedException">The accelerator has been disposed.</exception>
    public DevicePlan CreatePlan()
    {
        DeviceChecks.Live(Accelerator);
        return new(this);
    }

    /// <summary>Uploads <paramref name="plan"/> into <paramref name="target"/> (once per decode step).</summary>
    /// <exception cref="ObjectDisposedException">The accelerator, the device plan or the stream has been disposed.</exception>
    public void Upload(DevicePlan target, AttentionPlan plan, AcceleratorStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(plan);
        DeviceChecks.Live(Accelerator);
        target.ThrowIfDisposed();
        if (!ReferenceEquals(target.Owner, this))
            throw new ArgumentException("The device plan belongs to another TreeAttention instance.", nameof(target));
        if (stream is not null) DeviceChecks.Stream(stream, Accelerator, nameof(stream));
        target.Upload(plan, UploadKernel, packRows: IsStreaming(plan), stream ?? Accelerator.DefaultStream);
    }

    /// <summary>
    /// Enqueues attention of one layer: <paramref name="q"/> <c>[queries, Hq, D]</c> over <paramref name="kv"/>,
    /// writing <paramref name="output"/> <c>[queries, Hq, D]</c> and, when given (non-empty), the natural-log
    /// LSE <paramref name="lse"/> <c>[queries, Hq]</c>. Shapes, element types, and that every object is live and on this
    /// accelerator, are validated before anything is launched. This overload is for fp16 instances.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The accelerator, the device plan, the KV cache, the stream or the buffer of a
    /// view has been disposed.</exception>
    /// <exception cref="ArgumentException">A view or the stream is on another accelerator, a shape or element type does not
    /// match, or q (16 bytes) or output (4 bytes) is misaligned.</exception>
    public void Run(DevicePlan plan, ArrayView<Half> q, KvLayer kv, ArrayView<Half> output,
        ArrayView<float> lse = default, AcceleratorStream? stream = null) =>
        Run(plan, ElementType.Float16, q.Cast<ushort>(), kv, output.Cast<ushort>(), lse, stream);

    /// <summary>
    /// <see cref="Run(DevicePlan, ArrayView{Half}, KvLayer, ArrayView{Half}, ArrayView{float}, AcceleratorStream?)"/> for
    /// q and output as <see cref="System.Half"/>, the fp16 type .NET hands out (TorchSharp, ONNX Runtime,
    /// System.Numerics.Tensors): the views are reinterpreted, bit for bit, without a copy.
    /// </summary>
    public void Run(DevicePlan plan, ArrayView<System.Half> q, KvLayer kv, ArrayView<System.Half> output,
        ArrayView<float> lse = default, AcceleratorStream? stream = null) =>
        Run(plan, ElementType.Float16, q.Cast<ushort>(), kv, output.Cast<ushort>(), lse, stream);

    /// <summary>
    /// <see cref="Run(DevicePlan, ArrayView{Half}, KvLayer, ArrayView{Half}, ArrayView{float}, AcceleratorStream?)"/> for
    /// bf16 instances (<see cref="AttentionOptions.Elements"/> = <see cref="ElementType.BFloat16"/>).
    /// </summary>
    public void Run(DevicePlan plan, ArrayView<BFloat16> q, KvLayer kv, ArrayView<BFloat16> output,
        ArrayView<float> lse = default, AcceleratorStream? stream = null) =>
        Run(plan, ElementType.BFloat16, q.Cast<ushort>(), kv, output.Cast<ushort>(), lse, stream);

    /// <summary>The run behind the typed overloads: q and output as raw 16-bit elements of type <paramref name="elements"/>.</summary>
    internal void Run(DevicePlan plan, ElementType elements, ArrayView<ushort> q, KvLayer kv, ArrayView<ushort> output,
        ArrayView<float> lse, AcceleratorStream? stream)
    {
        var p = Prepare(plan, elements, q, kv, output, lse, stream);
        var s = stream ?? Accelerator.DefaultStream;
        int wide = plan.WideTaskCount, narrow = plan.TaskCount - wide;
        var wideParams = p;
        wideParams.Tasks = p.Tasks.SubView(0, wide);
        if (plan.Kernel == AttentionKernel.CudaCore)
            cudaCoreKernel!(s, new KernelConfig(wide * Heads.KvHeads, PartialAttentionKernel.GroupSize), wideParams);
        else if (plan.PackRows)
            streamingKernel!(s, new KernelConfig(wide * Heads.KvHeads, streamingConfig.GroupDim.X, streamingConfig.SharedMemoryConfig), wideParams);
        else if (wide > 0 && narrow > 0 && fork is not null)
        {
            // Both shapes at once: the narrow tasks (leaves, memory-bound) on a second stream, launched first so their
            // groups are placed first, and the wide ones (compute-bound) beside them, filling the SMs the narrow
            // launch's last wave leaves idle. The merge waits for both. (A plan of one shape stays on one stream: the
            // events would only add their latency.)
            lock (fork.Sync)
            {
                LaunchNarrow(fork.Fork(s), wide, narrow, p);
                LaunchWide(s, wide, wideParams);
                fork.Join(s);
            }
        }
        else
        {
            LaunchWide(s, wide, wideParams);
            if (narrow > 0) LaunchNarrow(s, wide, narrow, p);
        }
        if (!plan.Merges) return; // every row was final in the partial kernel
        mergeKernel(s, MergeKernel.Config(plan.QueryCount, Heads.QueryHeads), p);
    }

    // The tensor-core kernel's four-warp shape on the plan's first `wide` tasks (none: no launch).
    private void LaunchWide(AcceleratorStream s, int wide, AttentionParams wideParams)
    {
        if (wide > 0)
            tensorCoreKernel!(s, new KernelConfig(wide * Heads.KvHeads, tensorCoreConfig.GroupDim.X, tensorCoreConfig.SharedMemoryConfig), wideParams);
    }

    // The one-warp streaming shape on the `narrow` tasks after the first `wide`.
    private void LaunchNarrow(AcceleratorStream s, int wide, int narrow, AttentionParams p)
    {
        p.Tasks = p.Tasks.SubView(wide, narrow);
        streamingKernel!(s, new KernelConfig(narrow * Heads.KvHeads, streamingConfig.GroupDim.X, streamingConfig.SharedMemoryConfig), p);
    }

    private AttentionParams Prepare(DevicePlan plan, ElementType elements, ArrayView<ushort> q, KvLayer kv, ArrayView<ushort> output,
        ArrayView<float> lse, AcceleratorStream? stream)
    {
        ArgumentNullException.ThrowIfNull(plan);
        DeviceChecks.Live(Accelerator);
        plan.ThrowIfDisposed();
        if (!ReferenceEquals(plan.Owner, this))
            throw new ArgumentException("The device plan belongs to another TreeAttention instance.", nameof(plan));
        if (!plan.HasPlan) throw new InvalidOperationException("The device plan is empty: call Upload (or DevicePlanner.Plan) first.");
        if (kv.Cache is { IsDisposed: true }) throw new ObjectDisposedException(nameof(KvCache), "The KV cache of kv has been disposed.");
        DeviceChecks.View(q, Accelerator, nameof(q), nameof(q), emptyIsError: true);
        DeviceChecks.Aligned(q, 16, nameof(q));
        DeviceChecks.View(output, Accelerator, nameof(output), nameof(output), emptyIsError: true);
        DeviceChecks.Aligned(output, 4, nameof(output));
        DeviceChecks.View(lse, Accelerator, nameof(lse), nameof(lse), emptyIsError: false);
        DeviceChecks.View(kv.KBits, Accelerator, "kv.K", nameof(kv), emptyIsError: true);
        DeviceChecks.View(kv.VBits, Accelerator, "kv.V", nameof(kv), emptyIsError: true);
        if (elements != Options.Elements)
            throw new ArgumentException($"q and output hold {elements} elements, but the kernels were built for {Options.Elements}.", nameof(q));
        if (kv.Elements != Options.Elements)
            throw new ArgumentException($"The KV layer holds {kv.Elements} elements, but the kernels were built for {Options.Elements}.", nameof(kv));
        if (stream is not null) DeviceChecks.Stream(stream, Accelerator, nameof(stream));
        if (kv.Heads != Heads)
            throw new ArgumentException($"The KV layer has heads {kv.Heads}, but the kernels were built for {Heads}.", nameof(kv));
        if (plan.MaxSlot >= kv.SlotCount)
            throw new ArgumentException($"The plan reads slot {plan.MaxSlot}, but the KV layer has {kv.SlotCount} slots.", nameof(kv));
        long rows = (long)plan.QueryCount * Heads.QueryHeads;
        CheckLength(q.Length, rows * Heads.HeadDim, nameof(q), "[queries, Hq, D]");
        CheckLength(output.Length, rows * Heads.HeadDim, nameof(output), "[queries, Hq, D]");
        if (lse.Length != 0) CheckLength(lse.Length, rows, nameof(lse), "[queries, Hq]");
        CheckLength(kv.KBits.Length, (long)kv.SlotCount * Heads.KvHeads * Heads.HeadDim, nameof(kv), "[slots, Hkv, D] for K");
        CheckLength(kv.VBits.Length, (long)kv.SlotCount * Heads.KvHeads * Heads.HeadDim, nameof(kv), "[slots, Hkv, D] for V");
        return new AttentionParams
        {
            Q = q, K = kv.KBits, V = kv.VBits,
            TokenSlots = plan.TokenSlots.View,
            TokenVisibility = plan.TokenVisibility.View,
            Tasks = plan.Tasks.View,
            QueryOrder = plan.QueryOrder.View,
            PartialOffsets = plan.PartialOffsets.View,
            PartialSlots = plan.PartialSlots.View,
            PartialOutput = plan.PartialOutput.View,
            PartialLse = plan.PartialLse.View,
            Output = output,
            Lse = lse,
            QueryHeads = Heads.QueryHeads,
            KvHeads = Heads.KvHeads,
            KvHeadDivisor = new FastDivisor(Heads.KvHeads),
            GroupHeadDivisor = new FastDivisor(Heads.GroupSize),
            QAddress = DeviceAddress(q),
            KAddress = DeviceAddress(kv.KBits),
            VAddress = DeviceAddress(kv.VBits),
            VisibilityAddress = DeviceAddress(plan.TokenVisibility.View),
            SlotsAddress = DeviceAddress(plan.TokenSlots.View),
            ScoreScale = (float)(Scores.SoftCap > 0 ? Scores.Scale / Scores.SoftCap : Scores.Scale / Math.Log(2)),
            SoftCapLog2 = (float)(Scores.SoftCap / Math.Log(2)),
            PackRows = plan.PackRows ? 1 : 0,
        };
    }

    private static void CheckLength(long actual, long expected, string name, string shape)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements; the plan and heads need {expected} ({shape}).", name);
    }

    // The device address of a view's element 0, for kernels that copy with cp.async (ignored on the CPU).
    private static long DeviceAddress<T>(ArrayView<T> view) where T : unmanaged =>
        view.Length == 0 ? 0L : view.LoadEffectiveAddressAsPtr().ToInt64();

    /// <summary>The tensor-core kernel for <typeparamref name="TShape"/> and <typeparamref name="TElement"/>, soft-capping logits when <paramref name="capped"/>.</summary>
    private static Action<AcceleratorStream, KernelConfig, AttentionParams> LoadTensorCore<TShape, TElement>(Accelerator accelerator, bool capped)
        where TShape : struct, ITensorCoreShape where TElement : struct, IElement =>
        capped
            ? LoadTensorCore<TShape, TElement, TanhCapped>(accelerator)
            : LoadTensorCore<TShape, TElement, Uncapped>(accelerator);

    /// <summary>
    /// The tensor-core kernel for <typeparamref name="TShape"/>, <typeparamref name="TElement"/> and <typeparamref name="TCap"/>:
    /// on CUDA with the shape's launch bounds (<see cref="LaunchBounds"/>) and, for shapes above 48 KB of shared memory,
    /// the driver's limit raised.
    /// </summary>
    private static Action<AcceleratorStream, KernelConfig, AttentionParams> LoadTensorCore<TShape, TElement, TCap>(Accelerator accelerator)
        where TShape : struct, ITensorCoreShape where TElement : struct, IElement where TCap : struct, ILogitCap
    {
        Action<AttentionParams> method = TensorCoreAttentionKernel.Kernel<TShape, TElement, TCap>;
        if (accelerator is not CudaAccelerator cuda) return accelerator.LoadKernel(method);
        var kernel = LaunchBounds.Load(cuda, method.Method, TensorCoreLayout.GroupSize<TShape>(), default(TShape).MinGroupsPerMultiprocessor);
        int bytes = TensorCoreLayout.SharedBytes<TShape>();
        if (bytes > TensorCoreLayout.DefaultSharedBytes) DynamicSharedMemory.Allow(kernel, bytes);
        return kernel.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, AttentionParams>>();
    }

    /// <summary>The kernels of head dimension <typeparamref name="TDim"/> for <paramref name="elements"/>.</summary>
    private static (Action<AcceleratorStream, KernelConfig, AttentionParams>?, Action<AcceleratorStream, KernelConfig, AttentionParams>?,
        Action<AcceleratorStream, KernelConfig, AttentionParams>?, Action<AcceleratorStream, KernelConfig, AttentionParams>, KernelConfig, KernelConfig)
        Load<TDim>(Accelerator accelerator, AttentionKernel kernel, ElementType elements, bool capped) where TDim : struct, IHeadDim =>
        elements == ElementType.BFloat16
            ? Load<TDim, BFloat16Element>(accelerator, kernel, capped)
            : Load<TDim, Float16Element>(accelerator, kernel, capped);

    /// <summary>Loads the partial kernels <paramref name="kernel"/> needs (tensor cores in both shapes unless CUDA cores are named) and the merge kernel.</summary>
    private static (Action<AcceleratorStream, KernelConfig, AttentionParams>?, Action<AcceleratorStream, KernelConfig, AttentionParams>?,
        Action<AcceleratorStream, KernelConfig, AttentionParams>?, Action<AcceleratorStream, KernelConfig, AttentionParams>, KernelConfig, KernelConfig)
        Load<TDim, TElement>(Accelerator accelerator, AttentionKernel kernel, bool capped)
        where TDim : struct, IHeadDim
        where TElement : struct, IElement
    {
        bool tensor = kernel != AttentionKernel.CudaCore;
        return (kernel == AttentionKernel.CudaCore ? accelerator.LoadKernel<AttentionParams>(PartialAttentionKernel.Kernel<TDim, TElement>) : null,
            tensor ? LoadTensorCore<TensorCoreShape<TDim>, TElement>(accelerator, capped) : null,
            tensor ? LoadTensorCore<StreamingTensorCoreShape<TDim>, TElement>(accelerator, capped) : null,
            accelerator.LoadKernel<AttentionParams>(MergeKernel.Kernel<TDim, TElement>),
            TensorCoreConfig<TensorCoreShape<TDim>>(), TensorCoreConfig<StreamingTensorCoreShape<TDim>>());
    }

    // Group size and dynamic shared memory of a tensor-core shape (the grid is set per launch).
    private static KernelConfig TensorCoreConfig<TShape>() where TShape : struct, ITensorCoreShape
    {
        TensorCoreLayout.Validate<TShape>();
        return new KernelConfig(1, TensorCoreLayout.GroupSize<TShape>(),
            SharedMemoryConfig.RequestDynamic<uint>(TensorCoreLayout.SharedBytes<TShape>() / 4));
    }
}
