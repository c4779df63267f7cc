using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Reproducible random fp16 tensors generated on the device: element i of a tensor with seed s is a hash
/// of (s, i) mapped to k/1024 for k in [-1024, 1024), exactly representable in fp16. The host computes the
/// same values on demand, so the reference needs no copy of a multi-GB KV pool.
/// </summary>
public sealed class DeviceRandom
{
    private const int Threads = 1 << 18;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<Half>, uint> fill;

    /// <summary>Loads the fill kernel on <paramref name="accelerator"/>.</summary>
    public DeviceRandom(Accelerator accelerator) =>
        fill = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<Half>, uint>(FillKernel);

    /// <summary>Fills <paramref name="view"/> with the tensor of <paramref name="seed"/>.</summary>
    public void Fill(AcceleratorStream stream, ArrayView<Half> view, uint seed) =>
        fill(stream, (int)Math.Min(Threads, Math.Max(1, view.Length)), view, seed);

    /// <summary>Element <paramref name="index"/> of the tensor of <paramref name="seed"/>.</summary>
    public static float Value(uint seed, long index)
    {
        ulong x = (ulong)index + ((ulong)seed << 40) + 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return ((int)(x >> 53) - 1024) / 1024f;
    }

    /// <summary>Grid-stride fill: thread t writes elements t, t + threads, ... (64-bit indices).</summary>
    private static void FillKernel(Index1D index, ArrayView<Half> view, uint seed)
    {
        long stride = Grid.DimX * Group.DimX;
        for (long i = index; i < view.Length; i += stride) view[i] = (Half)Value(seed, i);
    }
}
