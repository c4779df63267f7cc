namespace DeFT.Kernels.Device;

/// <summary>What a <see cref="DevicePlan"/> does with all its <see cref="DeviceBuffer{T}"/>s alike, whatever their element type.</summary>
internal interface IDeviceBuffer : IDisposable
{
    /// <summary>Bytes allocated on the device.</summary>
    long AllocatedBytes { get; }

    /// <summary>Bytes the current view covers.</summary>
    long UsedBytes { get; }

    /// <summary>
    /// Reallocates at what growing to the current view's length would allocate, when the buffer holds more; true when it did
    /// (the contents are then undefined).
    /// </summary>
    bool Trim();

    /// <summary>Frees the device memory; the buffer stays usable and allocates again on the next upload.</summary>
    void Release();
}
