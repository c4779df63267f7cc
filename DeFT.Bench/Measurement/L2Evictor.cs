using DeFT.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Bench.Measurement;

/// <summary>
/// Evicts the GPU's L2 cache between timed calls, by reading (<see cref="L2Eviction.Read"/>) or clearing
/// (<see cref="L2Eviction.Clear"/>) a buffer of <see cref="DefaultBytes"/> (about four times an H200's L2).
/// <para>The read kernel: grid-stride over the buffer as 16-byte <see cref="Vec16"/> elements (with O2, one
/// <c>ld.global.v4</c> each), four independent loads per iteration, every word folded into a per-thread xor. The
/// thread writes its xor to a one-element sink only when it equals a value the buffer cannot produce (the buffer is
/// zeroed once, so every xor is 0 and the sentinel is not), so the loads cannot be removed and nothing is written.</para>
/// </summary>
public sealed class L2Evictor : IDisposable
{
    /// <summary>Default buffer size: 256 MB.</summary>
    public const long DefaultBytes = 256L << 20;

    /// <summary>Threads per group of the read kernel.</summary>
    public const int GroupSize = 256;

    /// <summary>An xor the zeroed buffer never produces: the read kernel's sink stays untouched.</summary>
    public const int Never = 0x5EED_1E55;

    private readonly Accelerator accelerator;
    private readonly MemoryBuffer1D<Vec16, Stride1D.Dense> buffer;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> sink;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<Vec16>, ArrayView<int>, int> read;
    private readonly KernelConfig config;

    /// <summary>Allocates and zeroes a buffer of <paramref name="bytes"/> bytes (rounded down to 16) on <paramref name="accelerator"/> and loads the read kernel.</summary>
    public L2Evictor(Accelerator accelerator, long bytes = DefaultBytes)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 16);
        this.accelerator = accelerator;
        buffer = accelerator.Allocate1D<Vec16>(bytes / 16);
        sink = accelerator.Allocate1D<int>(1);
        buffer.MemSetToZero();
        sink.MemSetToZero();
        read = accelerator.LoadKernel<ArrayView<Vec16>, ArrayView<int>, int>(ReadKernel);
        // Enough groups to fill every SM (as many resident threads as the SM holds), never more than the data needs.
        long groupsToFill = (long)accelerator.NumMultiprocessors * Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / GroupSize);
        long groupsForData = (buffer.Length + GroupSize - 1) / GroupSize;
        config = new KernelConfig((int)Math.Max(1, Math.Min(groupsToFill, groupsForData)), GroupSize);
        accelerator.Synchronize();
    }

    /// <summary>Bytes the buffer holds.</summary>
    public long Bytes => buffer.Length * 16;

    /// <summary>Enqueues one eviction by <paramref name="mode"/> on <paramref name="stream"/> (<see cref="L2Eviction.None"/>: nothing).</summary>
    public void Evict(AcceleratorStream stream, L2Eviction mode)
    {
        switch (mode)
        {
            case L2Eviction.Read: Read(stream, Never); break;
            case L2Eviction.Clear: buffer.View.MemSetToZero(stream); break;
            case L2Eviction.None: break;
            default: throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown L2 eviction.");
        }
    }

    /// <summary>Reads the whole buffer; a thread whose xor equals <paramref name="never"/> writes 1 to the sink (a test passes 0, the xor of the zeroed buffer, to see the kernel run).</summary>
    internal void Read(AcceleratorStream stream, int never) => read(stream, config, buffer.View, sink.View, never);

    /// <summary>The sink's value (0 unless some thread's xor matched).</summary>
    internal int SinkValue()
    {
        accelerator.Synchronize();
        return sink.GetAsArray1D()[0];
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        buffer.Dispose();
        sink.Dispose();
    }

    /// <summary>The read kernel, for the PTX test (16-byte loads).</summary>
    internal static System.Reflection.MethodInfo ReadKernelMethod =>
        typeof(L2Evictor).GetMethod(nameof(ReadKernel), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    /// <summary>Grid-stride read of <paramref name="data"/>, four 16-byte loads in flight per thread per iteration.</summary>
    private static void ReadKernel(ArrayView<Vec16> data, ArrayView<int> sink, int never)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long n = data.Length;
        long i = Grid.GlobalIndex.X;
        int fold = 0;
        for (; i + 3 * stride < n; i += 4 * stride)
        {
            var a = data[i];
            var b = data[i + stride];
            var c = data[i + 2 * stride];
            var d = data[i + 3 * stride];
            fold ^= a.X ^ a.Y ^ a.Z ^ a.W ^ b.X ^ b.Y ^ b.Z ^ b.W ^ c.X ^ c.Y ^ c.Z ^ c.W ^ d.X ^ d.Y ^ d.Z ^ d.W;
        }
        for (; i < n; i += stride)
        {
            var a = data[i];
            fold ^= a.X ^ a.Y ^ a.Z ^ a.W;
        }
        if (fold == never) sink[0] = 1;
    }
}
