using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Device;

/// <summary>
/// The device-side KV write: rows of new tokens' K and V (<c>[n, Hkv, D]</c>, 16-bit elements) copied into their cache
/// slots. Grid: one thread per 16-byte chunk of a source row (auto-grouped, <c>n · Hkv · D / 8</c> threads); a thread
/// copies its chunk of K and of V. No shared memory. Slots outside the cache are skipped.
/// </summary>
internal struct KvScatter
{
    /// <summary>Destination slot of each source row.</summary>
    public ArrayView<int> Slots;
    /// <summary>Source rows of K and V.</summary>
    public ArrayView<Vec16> SourceK, SourceV;
    /// <summary>The layer's K and V.</summary>
    public ArrayView<Vec16> K, V;
    /// <summary>16-byte chunks per slot (Hkv · D / 8).</summary>
    public int ChunksPerSlot;
    /// <summary>Slots in the layer.</summary>
    public int SlotCount;

    /// <summary>The kernel.</summary>
    public static void Kernel(Index1D chunk, KvScatter p)
    {
        int row = chunk / p.ChunksPerSlot;
        int part = chunk - row * p.ChunksPerSlot;
        int slot = p.Slots[row];
        if (slot < 0 || slot >= p.SlotCount) return;
        long at = (long)slot * p.ChunksPerSlot + part;
        p.K[at] = p.SourceK[chunk];
        p.V[at] = p.SourceV[chunk];
    }
}
