namespace DeFT.Core.Decoding;

/// <summary>
/// Hands out the token slots <c>[0, Capacity)</c> of a KV cache and takes them back. Each slot carries a
/// reference count, so a slot shared by several owners (a prompt shared by two sessions, a prefix cache)
/// becomes free only when the last owner releases it. Fresh slots are handed out lowest first (so a new
/// prompt gets consecutive slots); released slots are reused before fresh ones. Every operation is
/// all-or-nothing: when it throws, the pool is unchanged.
/// </summary>
/// <remarks>Bookkeeping grows with <see cref="HighWaterMark"/>, not with the capacity, so a large capacity costs nothing up front.</remarks>
public sealed class SlotPool
{
    private readonly Stack<int> free = new();
    private int[] references = Array.Empty<int>();

    /// <summary>Creates a pool of <paramref name="capacity"/> slots, all free.</summary>
    public SlotPool(int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A slot pool cannot have a negative capacity.");
        Capacity = capacity;
    }

    /// <summary>Number of slots, <c>[0, Capacity)</c>.</summary>
    public int Capacity { get; }

    /// <summary>Slots held by at least one owner.</summary>
    public int InUse { get; private set; }

    /// <summary>Slots that <see cref="Allocate"/> can still hand out.</summary>
    public int Available => Capacity - InUse;

    /// <summary>
    /// One past the largest slot ever handed out: the KV cache must hold at least this many slots. Fresh slots
    /// are taken only when no released one is left, so this is also the peak of <see cref="InUse"/>.
    /// </summary>
    public int HighWaterMark { get; private set; }

    /// <summary>How many owners hold <paramref name="slot"/> (0 when it is free).</summary>
    public int ReferenceCount(int slot)
    {
        CheckRange(slot);
        return slot < HighWaterMark ? references[slot] : 0;
    }

    /// <summary>
    /// Hands out <paramref name="count"/> free slots, each with one reference. Throws
    /// <see cref="SlotPoolExhaustedException"/> (allocating nothing) when fewer than <paramref name="count"/> are free.
    /// </summary>
    public int[] Allocate(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Cannot allocate a negative number of slots.");
        if (count > Available) throw new SlotPoolExhaustedException(count, Available, Capacity);
        var slots = new int[count];
        for (int i = 0; i < count; i++)
        {
            int slot = free.Count > 0 ? free.Pop() : TakeFresh();
            references[slot] = 1;
            slots[i] = slot;
        }
        InUse += count;
        return slots;
    }

    /// <summary>
    /// Adds one reference to each of <paramref name="slots"/> (a slot listed twice gets two). Every slot must
    /// be in use: a free slot cannot be shared. Throws <see cref="ArgumentException"/> otherwise, retaining nothing.
    /// </summary>
    public void Retain(ReadOnlySpan<int> slots)
    {
        foreach (int slot in slots)
        {
            CheckRange(slot);
            if (ReferenceCount(slot) == 0)
                throw new ArgumentException($"Slot {slot} is free and cannot be retained; allocate it first. Nothing was retained.", nameof(slots));
        }
        foreach (int slot in slots) references[slot]++;
    }

    /// <summary>
    /// Drops one reference from each of <paramref name="slots"/> (a slot listed twice loses two); a slot left
    /// without references becomes free. Throws <see cref="ArgumentException"/>, releasing nothing, when a slot
    /// is out of range or would lose more references than it holds (a double free).
    /// </summary>
    public void Release(ReadOnlySpan<int> slots)
    {
        var releases = new Dictionary<int, int>(slots.Length);
        foreach (int slot in slots)
        {
            CheckRange(slot);
            int count = releases.GetValueOrDefault(slot) + 1;
            int held = ReferenceCount(slot);
            if (count > held)
                throw new ArgumentException(held == 0
                    ? $"Slot {slot} is not in use (a double free, or a slot never allocated). Nothing was released."
                    : $"Slot {slot} is released {count} times but holds only {held} reference(s) (a double free). Nothing was released.", nameof(slots));
            releases[slot] = count;
        }
        // Push freed slots in reverse so that the next allocation gets them back in the order given (runs stay runs).
        for (int i = slots.Length - 1; i >= 0; i--)
        {
            int slot = slots[i];
            if (--references[slot] == 0)
            {
                free.Push(slot);
                InUse--;
            }
        }
    }

    private int TakeFresh()
    {
        if (HighWaterMark == references.Length)
            Array.Resize(ref references, (int)Math.Min(Capacity, Math.Max(64L, 2L * references.Length)));
        return HighWaterMark++;
    }

    private void CheckRange(int slot)
    {
        if (slot < 0 || slot >= Capacity)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Slot {slot} is outside the pool (capacity {Capacity}).");
    }
}
