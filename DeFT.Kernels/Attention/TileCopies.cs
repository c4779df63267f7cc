using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// A thread's share of every K/V tile copy of <see cref="TensorCoreAttentionKernel"/> (and of its Q staging, <see cref="QPass"/>, which copies the task's rows with the same mapping). With C 16-byte chunks per row
/// and G threads, thread i copies chunk i mod C of tile rows i / C, i / C + G / C, ... (a thread past the last whole
/// row of a pass copies nothing), so its chunk, and with it its address within a slot and within a stage, is the same
/// for every tile: computed once, before the loop. A copy's K and V addresses are then one wide multiply-add each
/// (slot × slot bytes + this base).
/// </summary>
internal struct CopyLane
{
    /// <summary>First tile row it copies (the tile's token count when none).</summary>
    public int FirstRow;

    /// <summary>Word of its chunk of <see cref="FirstRow"/> in a stage's K tile (from the stage's first word).</summary>
    public int Word;

    /// <summary>Its chunk within a row (0 … C − 1).</summary>
    public int ChunkInRow;

    /// <summary>Its chunk's index within slot 0 of the task's KV head, in 16-byte units (the CPU accelerator's index).</summary>
    public long Chunk;

    /// <summary>Device addresses of that chunk of slot 0 in K and V.</summary>
    public ulong K, V;

    /// <summary>Bytes of one slot (every KV head's row).</summary>
    public uint SlotBytes;

    /// <summary>Thread <paramref name="tid"/>'s share of <paramref name="task"/>'s copies.</summary>
    public static CopyLane For<TShape>(AttentionParams p, in TaskContext task, int tid) where TShape : struct, ITensorCoreShape
    {
        int chunksPerRow = TensorCoreLayout.ChunksPerRow<TShape>();
        int rowsPerPass = TensorCoreLayout.RowsPerCopyPass<TShape>();
        int row = tid / chunksPerRow;
        int chunk = tid - row * chunksPerRow; // not %, which ILGPU emits as a full division here
        long first = (long)task.KvHead * chunksPerRow + chunk;
        int firstRow = row < rowsPerPass ? row : default(TShape).TileTokens;
        return new CopyLane
        {
            FirstRow = firstRow,
            Word = firstRow * TensorCoreLayout.RowWords<TShape>() + 4 * chunk,
            ChunkInRow = chunk,
            Chunk = first,
            K = (ulong)(p.KAddress + 16L * first),
            V = (ulong)(p.VAddress + 16L * first),
            SlotBytes = (uint)(16 * p.KvHeads * chunksPerRow),
        };
    }
}

/// <summary>
/// One pass of a thread's tile copies: its chunk of K and V in tile row <c>FirstRow + block · RowsPerCopyPass</c>.
/// <see cref="CopyPasses"/> writes the passes out, so the stage and slot-buffer positions are constant offsets from one
/// row each (folded into the instructions' addresses) and no loop counter runs.
/// </summary>
internal struct CopyPass
{
    /// <summary>
    /// Issues pass <paramref name="block"/>: reads the row's KV slot at <paramref name="slots"/> (this thread's first row's
    /// slot word) and copies its K and V chunks to <paramref name="stage"/> (this thread's first chunk in the stage's K
    /// tile), zero-filled past the tile's <paramref name="count"/> tokens.
    /// </summary>
    public readonly void Issue<TShape>(int block, AttentionParams p, SharedWindow smem, in CopyLane lane, SharedRow stage, SharedRow slots,
        int count) where TShape : struct, ITensorCoreShape
    {
        int rowsPerPass = TensorCoreLayout.RowsPerCopyPass<TShape>();
        int j = lane.FirstRow + block * rowsPerPass;
        if (j >= default(TShape).TileTokens) return; // a last pass that covers part of the tile (D 96), or no row at all
        bool valid = j < count;
        uint slot = smem.Load(slots.Plus(block * rowsPerPass));
        slot = valid ? slot : 0u;
        ulong offset = (ulong)slot * lane.SlotBytes;
        long index = slot * (long)(p.KvHeads * TensorCoreLayout.ChunksPerRow<TShape>()) + lane.Chunk;
        var k = stage.Plus(block * rowsPerPass * TensorCoreLayout.RowWords<TShape>());
        CpAsync.Copy16(smem, k, p.K.Cast<Vec16>(), index, (long)(lane.K + offset), valid);
        CpAsync.Copy16(smem, k.Plus(TensorCoreLayout.TileWords<TShape>()), p.V.Cast<Vec16>(), index, (long)(lane.V + offset), valid);
    }
}

/// <summary>A thread's copy passes of one tile (<see cref="TensorCoreLayout.CopyPasses{TShape}"/> of them), written out by DeFT.Kernels.Generators.</summary>
[UnrolledBlocks(typeof(CopyPass), MaxPasses, 1)]
internal partial struct CopyPasses
{
    /// <summary>Most passes a tile shape may need (the one-warp shape at D = 256: one 512-byte row per pass).</summary>
    public const int MaxPasses = 32;
}
