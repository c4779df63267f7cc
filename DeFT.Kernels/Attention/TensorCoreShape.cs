using DeFT.Kernels.Primitives;

namespace DeFT.Kernels.Attention;

/// <summary>
/// The tile shape of <see cref="TensorCoreAttentionKernel"/>, passed as a generic struct argument so ILGPU compiles
/// every size below as a constant. A shape names four numbers; <see cref="TensorCoreLayout"/> derives the rest
/// (rows per task, group size, strides, shared-memory offsets and size) and checks the invariants the fragment
/// code relies on.
/// </summary>
internal interface ITensorCoreShape : IHeadDim
{
    /// <summary>KV tokens per pipeline stage (the S tile is 16 rows × this per warp).</summary>
    int TileTokens { get; }

    /// <summary>Warps per group.</summary>
    int Warps { get; }

    /// <summary>Task rows each warp owns (its m-tiles of 16).</summary>
    int RowsPerWarp { get; }

    /// <summary>Groups each SM must hold at once: the launch bounds that cap the kernel's registers.</summary>
    int MinGroupsPerMultiprocessor { get; }
}

/// <summary>The shape the library runs: 32-token stages, 4 warps of 16 rows (64 rows per task), head dimension <typeparamref name="TDim"/>.</summary>
internal readonly struct TensorCoreShape<TDim> : ITensorCoreShape where TDim : struct, IHeadDim
{
    /// <inheritdoc/>
    public int Value => default(TDim).Value;

    /// <inheritdoc/>
    public int TileTokens => 32;

    /// <inheritdoc/>
    public int Warps => 4;

    /// <inheritdoc/>
    public int RowsPerWarp => 16;

    /// <summary>
    /// 3 up to D = 128 (65536 registers / (3 × 128 threads) leaves 168 per thread, what the kernel needs at D = 128); 2 at
    /// D = 256, whose Q and O fragments alone take 192 registers (and whose 68 KB of shared memory fit twice).
    /// </summary>
    public int MinGroupsPerMultiprocessor => Value > 128 ? 2 : 3;
}

/// <summary>
/// The streaming shape: one warp of 16 rows per group, for plans where each KV token serves about one query (no
/// sharing, sequence plans). The group's arithmetic is one m-tile either way; a one-warp group needs a quarter of the
/// threads and registers, so six groups (six tiles of K and V in flight) fit on an SM where the four-warp shape fits
/// three: the loads, not the arithmetic, are what such plans wait for.
/// </summary>
internal readonly struct StreamingTensorCoreShape<TDim> : ITensorCoreShape where TDim : struct, IHeadDim
{
    /// <inheritdoc/>
    public int Value => default(TDim).Value;

    /// <inheritdoc/>
    public int TileTokens => 32;

    /// <inheritdoc/>
    public int Warps => 1;

    /// <inheritdoc/>
    public int RowsPerWarp => 16;

    /// <summary>As many groups as an SM's 227 KB of shared memory holds: 6 of 35 KB up to D = 128, 3 of 68 KB at D = 256.</summary>
    public int MinGroupsPerMultiprocessor => Value > 128 ? 3 : 6;
}

/// <summary>
/// Everything <see cref="TensorCoreAttentionKernel"/> derives from an <see cref="ITensorCoreShape"/>. Shared memory
/// is one dynamic window of 32-bit words: <see cref="Stages"/> stages of [K tile | V tile | masks], then one word per
/// token for the poison tags of the stage being computed, then two buffers of one KV slot per token (the slots of
/// the tile after next are copied while the next tile's K and V are, so no copy waits on a global load). K and V tiles are row-major by token with rows of
/// D/2 + 4 words: the 16-byte pad puts the 8 rows an <c>ldmatrix</c> phase reads on distinct banks. The task's Q rows
/// are staged once, with the same row stride, in stage 1's space before the pipeline reaches it.
/// </summary>
internal static class TensorCoreLayout
{
    /// <summary>Pipeline stages (double buffering: one computed while the next one's copies fly).</summary>
    public const int Stages = 2;

    /// <summary>
    /// Shared memory a group may have without opting in: larger shapes (D = 256) are loaded with the function's
    /// dynamic shared-memory limit raised through the driver (<see cref="Device.DynamicSharedMemory"/>).
    /// </summary>
    public const int DefaultSharedBytes = 48 * 1024;

    /// <summary>Shared memory of one SM on sm_80/sm_90 (227 KB usable by groups).</summary>
    public const int MaxSharedBytesPerMultiprocessor = 227 * 1024;

    /// <summary>Threads per group.</summary>
    public static int GroupSize<TShape>() where TShape : struct, ITensorCoreShape => default(TShape).Warps * 32;

    /// <summary>Rows (query × query head pairs) per task.</summary>
    public static int RowsPerTask<TShape>() where TShape : struct, ITensorCoreShape => default(TShape).Warps * default(TShape).RowsPerWarp;

    /// <summary>Words per K, V or Q row in shared memory (D/2 used).</summary>
    public static int RowWords<TShape>() where TShape : struct, ITensorCoreShape => default(TShape).Value / 2 + 4;

    /// <summary>16-byte chunks per K or V row in global memory.</summary>
    public static int ChunksPerRow<TShape>() where TShape : struct, ITensorCoreShape => default(TShape).Value / 8;

    /// <summary>Tile rows one copy pass of the whole group covers: a thread copies one 16-byte chunk of a row per pass.</summary>
    public static int RowsPerCopyPass<TShape>() where TShape : struct, ITensorCoreShape => GroupSize<TShape>() / ChunksPerRow<TShape>();

    /// <summary>Copy passes per K/V tile (the last one partial when the rows per pass do not divide the tile).</summary>
    public static int CopyPasses<TShape>() where TShape : struct, ITensorCoreShape =>
        (default(TShape).TileTokens + RowsPerCopyPass<TShape>() - 1) / RowsPerCopyPass<TShape>();

    /// <summary>Q staging passes per task (the last one partial when the rows per pass do not divide the task's rows).</summary>
    public static int QPasses<TShape>() where TShape : struct, ITensorCoreShape =>
        (RowsPerTask<TShape>() + RowsPerCopyPass<TShape>() - 1) / RowsPerCopyPass<TShape>();

    /// <summary>Words of one K or V tile.</summary>
    public static int TileWords<TShape>() where TShape : struct, ITensorCoreShape => default(TShape).TileTokens * RowWords<TShape>();

    /// <summary>Words of one stage: K tile, V tile, one <c>QueryRange</c> (two words) per token.</summary>
    public static int StageWords<TShape>() where TShape : struct, ITensorCoreShape =>
        2 * TileWords<TShape>() + 2 * default(TShape).TileTokens;

    /// <summary>First word of stage <paramref name="stage"/>'s K tile; its V tile and masks follow.</summary>
    public static int StageWord<TShape>(int stage) where TShape : struct, ITensorCoreShape => stage * StageWords<TShape>();

    /// <summary>First word of the poison tags (one per token of a tile).</summary>
    public static int PoisonWord<TShape>() where TShape : struct, ITensorCoreShape => Stages * StageWords<TShape>();

    /// <summary>First word of slot buffer <paramref name="buffer"/> (0 or 1): the KV slots of a tile, copied a tile ahead.</summary>
    public static int SlotWord<TShape>(int buffer) where TShape : struct, ITensorCoreShape =>
        PoisonWord<TShape>() + (1 + buffer) * default(TShape).TileTokens;

    /// <summary>First word of the staged Q rows (stage 1, free until the first pipeline step refills it).</summary>
    public static int QWord<TShape>() where TShape : struct, ITensorCoreShape => StageWord<TShape>(1);

    /// <summary>Dynamic shared memory of one group, in bytes.</summary>
    public static int SharedBytes<TShape>() where TShape : struct, ITensorCoreShape =>
        4 * (PoisonWord<TShape>() + 3 * default(TShape).TileTokens);

    /// <summary>Head dimensions the fragment code holds: multiples of 16 (one <see cref="DimBlock"/> each) whose 16-byte rows tile the copies, up to <see cref="HeadFragments.MaxBlocks"/> blocks.</summary>
    public static IReadOnlyList<int> HeadDims { get; } = [64, 96, 128, 256];

    /// <summary>Throws when the shape breaks an assumption of the kernel's fragment code or exceeds the group's shared memory.</summary>
    public static void Validate<TShape>() where TShape : struct, ITensorCoreShape
    {
        var shape = default(TShape);
        string name = typeof(TShape).Name;
        Require(HeadDims.Contains(shape.Value) && shape.Value <= 16 * HeadFragments.MaxBlocks, name,
            $"head dimension {shape.Value}: the fragment code holds 64, 96, 128 or 256 dims");
        Require(shape.TileTokens == 32, name, $"{shape.TileTokens} tile tokens: the S tile is four 8-token fragments");
        Require(shape.RowsPerWarp == 16, name, $"{shape.RowsPerWarp} rows per warp: each warp holds one m16 tile");
        Require(shape.TileTokens <= GroupSize<TShape>(), name, "one thread per tile token copies its mask and slot and votes");
        Require(ChunksPerRow<TShape>() <= GroupSize<TShape>(), name, "each copy pass covers at least one whole K/V row");
        Require(CopyPasses<TShape>() <= Attention.CopyPasses.MaxPasses, name,
            $"{CopyPasses<TShape>()} copy passes per tile exceed the {Attention.CopyPasses.MaxPasses} written out");
        Require(QPasses<TShape>() <= Attention.QPasses.MaxPasses, name,
            $"{QPasses<TShape>()} Q staging passes exceed the {Attention.QPasses.MaxPasses} written out");
        Require(RowsPerTask<TShape>() * RowWords<TShape>() <= StageWords<TShape>(), name, "the Q rows must fit in one stage");
        Require(shape.MinGroupsPerMultiprocessor * SharedBytes<TShape>() <= MaxSharedBytesPerMultiprocessor, name,
            $"{shape.MinGroupsPerMultiprocessor} groups of {SharedBytes<TShape>()} B exceed an SM's {MaxSharedBytesPerMultiprocessor} B");
    }

    private static void Require(bool condition, string shape, string what)
    {
        if (!condition) throw new NotSupportedException($"Tensor-core tile shape {shape} is not supported: {what}.");
    }
}
