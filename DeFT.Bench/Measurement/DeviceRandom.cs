using DeFT.Kernels;
using ILGPU;
using ILGPU.Runtime;
using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Reproducible random 16-bit tensors generated on the device: element i of a tensor with seed s is a hash
/// of (s, i) mapped to k/1024 for k in [-1024, 1024), exactly representable in fp16 (in bf16, rounded to nearest
/// even). The host computes the same values on demand, so the reference needs no copy of a multi-GB KV pool.
/// </summary>
public sealed class DeviceRandom
{
    private const int Threads = 1 << 18;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<ushort>, uint, int> fill;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<Half>, ArrayView<int>, int, uint> fillRows;

    /// <summary>Loads the fill kernels on <paramref name="accelerator"/>.</summary>
    public DeviceRandom(Accelerator accelerator)
    {
        fill = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<ushort>, uint, int>(FillKernel);
        fillRows = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<Half>, ArrayView<int>, int, uint>(FillRowsKernel);
    }

    /// <summary>Fills the fp16 <paramref name="view"/> with the tensor of <paramref name="seed"/>.</summary>
    public void Fill(AcceleratorStream stream, ArrayView<Half> view, uint seed) => Fill(stream, view.Cast<ushort>(), seed, ElementType.Float16);

    /// <summary>Fills <paramref name="bits"/>, elements of type <paramref name="elements"/>, with the tensor of <paramref name="seed"/>.</summary>
    public void Fill(AcceleratorStream stream, ArrayView<ushort> bits, uint seed, ElementType elements) =>
        fill(stream, (int)Math.Min(Threads, Math.Max(1, bits.Length)), bits, seed, elements == ElementType.BFloat16 ? 1 : 0);

    /// <summary>
    /// Fills the rows <paramref name="rows"/> (row indices, e.g. KV-cache slots) of <paramref name="view"/>, a
    /// tensor of rows of <paramref name="rowLength"/> elements, with the tensor of <paramref name="seed"/>: element
    /// <c>i</c> of the view gets <c>Value(seed, i)</c>, like <see cref="Fill(AcceleratorStream, ArrayView{Half}, uint)"/>; other rows are left alone.
    /// </summary>
    public void FillRows(AcceleratorStream stream, ArrayView<Half> view, ArrayView<int> rows, int rowLength, uint seed) =>
        fillRows(stream, (int)Math.Min(Threads, Math.Max(1, rows.Length * rowLength)), view, rows, rowLength, seed);

    /// <summary>Element <paramref name="index"/> of the tensor of <paramref name="seed"/> as <paramref name="elements"/> holds it.</summary>
    public static float Value(uint seed, long index, ElementType elements) =>
        ElementBits.Round(Value(seed, index), elements);

    /// <summary>Element <paramref name="index"/> of the tensor of <paramref name="seed"/> (exact in fp16).</summary>
    public static float Value(uint seed, long index)
    {
        ulong x = (ulong)index + ((ulong)seed << 40) + 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return ((int)(x >> 53) - 1024) / 1024f;
    }

    /// <summary>Grid-stride fill: thread t writes elements t, t + threads, ... (64-bit indices).</summary>
    private static void FillKernel(Index1D index, ArrayView<ushort> bits, uint seed, int bf16)
    {
        long stride = Grid.DimX * Group.DimX;
        for (long i = index; i < bits.Length; i += stride)
        {
            float value = Value(seed, i);
            bits[i] = bf16 != 0 ? BFloat16.Round(value) : Interop.FloatAsInt((Half)value);
        }
    }

    /// <summary>Grid-stride fill of listed rows: thread t writes elements t, t + threads, ... of the rows laid end to end.</summary>
    private static void FillRowsKernel(Index1D index, ArrayView<Half> view, ArrayView<int> rows, int rowLength, uint seed)
    {
        long stride = Grid.DimX * Group.DimX;
        long total = rows.Length * rowLength;
        for (long i = index; i < total; i += stride)
        {
            long r = i / rowLength;
            long at = (long)rows[r] * rowLength + (i - r * rowLength);
            view[at] = (Half)Value(seed, at);
        }
    }
}
