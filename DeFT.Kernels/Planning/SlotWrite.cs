namespace DeFT.Kernels.Planning;

/// <summary>One KV-cache slot id to store at <paramref name="Position"/> of the <see cref="DeviceTree"/>'s slot arena.</summary>
internal readonly record struct SlotWrite(int Position, int Slot);
