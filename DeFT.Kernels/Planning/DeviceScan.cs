using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>
/// The planner's exclusive int scan: ILGPU.Algorithms' scan (single pass on CUDA) with a temporary buffer that grows to
/// the largest scan seen. On the CPU accelerator a one-thread loop instead: ILGPU's CPU scan is one group of 1024
/// simulated threads, about half a second per scan on a two-core test machine, for arrays of a few hundred ints.
/// </summary>
internal sealed class DeviceScan : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly Scan<int, Stride1D.Dense, Stride1D.Dense>? scan;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>>? sequential;
    private readonly DeviceBuffer<int> temp;

    public DeviceScan(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
            sequential = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>>(SequentialScan);
        else
            scan = accelerator.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Exclusive);
        temp = new(accelerator, "The device planner's scan workspace");
    }

    /// <summary>Makes the temporary buffer large enough for scans of up to <paramref name="length"/> elements.</summary>
    public void Reserve(int length)
    {
        if (scan is null) return;
        long need = accelerator.ComputeScanTempStorageSize<int>(length);
        if (temp.View.Length < need) temp.EnsureLength(need);
    }

    /// <summary><paramref name="output"/>[i] = Σ <paramref name="input"/>[0..i) (so a trailing 0 in the input yields the total).</summary>
    public void Exclusive(AcceleratorStream stream, ArrayView<int> input, ArrayView<int> output)
    {
        if (scan is not null) scan(stream, input.AsDense(), output.AsDense(), temp.View);
        else sequential!(stream, 1, input, output);
    }

    /// <summary>Grid: one thread, which scans the whole array in order (the CPU accelerator's scan). No shared memory.</summary>
    private static void SequentialScan(Index1D i, ArrayView<int> input, ArrayView<int> output)
    {
        int sum = 0;
        for (long k = 0; k < input.Length; k++)
        {
            int value = input[k];
            output[k] = sum;
            sum += value;
        }
    }

    public void Dispose() => temp.Dispose();
}
