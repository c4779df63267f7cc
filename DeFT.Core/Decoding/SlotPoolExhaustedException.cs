namespace DeFT.Core.Decoding;

/// <summary>
/// Thrown when a <see cref="SlotPool"/> has fewer free slots than asked for. Nothing was allocated: the pool
/// (and any tree the allocation was for) is unchanged, so the caller may free slots (prune branches) and retry.
/// </summary>
public sealed class SlotPoolExhaustedException : InvalidOperationException
{
    /// <summary>Creates the exception for a request of <paramref name="requested"/> slots.</summary>
    public SlotPoolExhaustedException(int requested, int available, int capacity)
        : base($"The KV slot pool cannot hand out {requested} slot(s): only {available} of its {capacity} slots are free. Nothing was allocated.")
    {
        Requested = requested;
        Available = available;
        Capacity = capacity;
    }

    /// <summary>Slots asked for.</summary>
    public int Requested { get; }

    /// <summary>Slots free at the time.</summary>
    public int Available { get; }

    /// <summary>The pool's capacity.</summary>
    public int Capacity { get; }
}
