using DeFT.Kernels.Device;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>ILGPU.Algorithms' exclusive int scan, loaded once, with a temporary buffer that grows to the largest scan seen.</summary>
internal sealed class DeviceScan : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly Scan<int, Stride1D.Dense, Stride1D.Dense> scan;
    private readonly DeviceBuffer<int> temp;

    public DeviceScan(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        scan = accelerator.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Exclusive);
        temp = new(accelerator, "The device planner's scan workspace");
    }

    /// <summary>Makes the temporary buffer large enough for scans of up to <paramref name="length"/> elements.</summary>
    public void Reserve(int length)
    {
        long need = accelerator.ComputeScanTempStorageSize<int>(length);
        if (temp.View.Length < need) temp.EnsureLength(need);
    }

    /// <summary><paramref name="output"/>[i] = Σ <paramref name="input"/>[0..i) (so a trailing 0 in the input yields the total).</summary>
    public void Exclusive(AcceleratorStream stream, ArrayView<int> input, ArrayView<int> output) =>
        scan(stream, input.AsDense(), output.AsDense(), temp.View);

    public void Dispose() => temp.Dispose();
}
