namespace DeFT.Core.Decoding;

/// <summary>
/// Hands out the token slots <c>[0, Capacity)</c> of a KV cache and takes them back. Each slot carries a
/// reference count, so a slot shared by several owners (a prompt shared by two sessions, a prefix cache)
/// becomes free only when the last owner releases it. Every operation is all-or-nothing: when it throws, the pool is
/// unchanged.
/// <para>
/// Slots come in pages of <see cref="PageTokens"/> (1 by default): slot <c>s</c> is token <c>s mod P</c> of page
/// <c>s / P</c>, the NHD paged layout of vLLM and FlashInfer (<c>[pages, P, Hkv, D]</c> is <c>[slots, Hkv, D]</c>). A
/// run of new slots continues the page of the slot it follows (<see cref="Allocate(int, int)"/>) while that page has
/// room, then takes a page with no slot in use: so a sequence's tokens fill its own pages. Pages whose slots were all
/// released are reused before fresh ones, most recently freed first; fresh pages are handed out lowest first.
/// </para>
/// </summary>
/// <remarks>Bookkeeping grows with <see cref="HighWaterMark"/>, not with the capacity, so a large capacity costs nothing up front.</remarks>
public sealed class SlotPool
{
    // An entry of Take's list that continues the run of the entry before it.
    private const int Continue = -2;

    private readonly Stack<int> freePages = new();
    private int[] references = Array.Empty<int>();
    private int[] usedInPage = Array.Empty<int>();

    /// <summary>Creates a pool of <paramref name="capacity"/> slots in pages of <paramref name="pageTokens"/>, all free.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is negative, the page size not positive, or the capacity not
    /// a whole number of pages.</exception>
    public SlotPool(int capacity, int pageTokens = 1)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A slot pool cannot have a negative capacity.");
        if (pageTokens < 1) throw new ArgumentOutOfRangeException(nameof(pageTokens), pageTokens, "A page holds at least one token.");
        if (capacity % pageTokens != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"The capacity must be a whole number of {pageTokens}-token pages.");
        Capacity = capacity;
        PageTokens = pageTokens;
    }

    /// <summary>Number of slots, <c>[0, Capacity)</c>.</summary>
    public int Capacity { get; }

    /// <summary>Tokens per page (P): slot <c>s</c> is token <c>s mod P</c> of page <c>s / P</c>.</summary>
    public int PageTokens { get; }

    /// <summary>Slots held by at least one owner.</summary>
    public int InUse { get; private set; }

    /// <summary>Slots not in use (with pages, some of them only a run that continues their page can take).</summary>
    public int Available => Capacity - InUse;

    /// <summary>
    /// One past the largest slot of any page ever handed out: the KV cache must hold at least this many slots. Fresh
    /// pages are taken only when no free one is left.
    /// </summary>
    public int HighWaterMark { get; private set; }

    /// <summary>The page of <paramref name="slot"/>.</summary>
    public int PageOf(int slot)
    {
        CheckRange(slot);
        return slot / PageTokens;
    }

    /// <summary>How many owners hold <paramref name="slot"/> (0 when it is free).</summary>
    public int ReferenceCount(int slot)
    {
        CheckRange(slot);
        return slot < HighWaterMark ? references[slot] : 0;
    }

    /// <summary>
    /// Hands out <paramref name="count"/> free slots, each with one reference: a run starting on a free page. Throws
    /// <see cref="SlotPoolExhaustedException"/> (allocating nothing) when they cannot be had.
    /// </summary>
    public int[] Allocate(int count) => Allocate(count, after: -1);

    /// <summary>
    /// Hands out <paramref name="count"/> slots that continue the run ending at slot <paramref name="after"/> (-1: a new
    /// run): the free slots after it in its page, then the slots of free pages. All or nothing.
    /// </summary>
    public int[] Allocate(int count, int after)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Cannot allocate a negative number of slots.");
        if (after < -1) throw new ArgumentOutOfRangeException(nameof(after), after, "Give a slot, or -1 for a new run.");
        var run = new int[count];
        Array.Fill(run, Continue);
        return Take(run, after);
    }

    /// <summary>
    /// Hands out one slot after each of <paramref name="after"/> (a slot, or -1 for a new run): e.g. one new token for
    /// every branch, each continuing its branch's page. All or nothing.
    /// </summary>
    public int[] Allocate(ReadOnlySpan<int> after)
    {
        foreach (int slot in after)
            if (slot < -1) throw new ArgumentOutOfRangeException(nameof(after), slot, "Give a slot, or -1 for a new run.");
        return Take(after, -1);
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
    /// without references becomes free, and a page with no slot in use becomes free. Throws
    /// <see cref="ArgumentException"/>, releasing nothing, when a slot is out of range or would lose more references than
    /// it holds (a double free).
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
        // Freed pages are pushed in reverse so that the next allocation gets them back in the order given (runs stay runs).
        for (int i = slots.Length - 1; i >= 0; i--)
        {
            int slot = slots[i];
            if (--references[slot] == 0)
            {
                InUse--;
                if (--usedInPage[slot / PageTokens] == 0) freePages.Push(slot / PageTokens);
            }
        }
    }

    // One slot for each entry of `after`: entry Continue continues the slot just taken for the previous entry (a run;
    // the first entry's predecessor is `first`), -1 starts on a free page, a slot continues that slot's page. On exhaustion
    // everything taken is given back and the pool is as it was.
    private int[] Take(ReadOnlySpan<int> after, int first)
    {
        var slots = new int[after.Length];
        int highWaterMark = HighWaterMark;
        var poppedPages = new List<int>();
        int previous = first;
        for (int i = 0; i < slots.Length; i++)
        {
            int from = after[i] == Continue ? previous : after[i];
            if (from >= 0) CheckRange(from);
            int slot = NextInPage(from);
            if (slot < 0)
            {
                int page = FreePage(poppedPages);
                if (page < 0)
                {
                    Undo(slots.AsSpan(0, i), poppedPages, highWaterMark);
                    throw new SlotPoolExhaustedException(slots.Length, Available, Capacity);
                }
                slot = page * PageTokens;
            }
            references[slot] = 1;
            usedInPage[slot / PageTokens]++;
            InUse++;
            slots[i] = previous = slot;
        }
        return slots;
    }

    // The slot after `slot` in its page when that is free (and handed out before), else -1.
    private int NextInPage(int slot)
    {
        if (slot < 0 || (slot + 1) % PageTokens == 0 || slot + 1 >= HighWaterMark) return -1;
        return references[slot + 1] == 0 ? slot + 1 : -1;
    }

    // A page with no slot in use: a freed one, else a fresh one; -1 when none is left. Pages popped are recorded for Undo.
    private int FreePage(List<int> popped)
    {
        while (freePages.Count > 0)
        {
            int page = freePages.Pop();
            popped.Add(page);
            if (usedInPage[page] == 0) return page; // entries made stale by a later allocation are skipped
        }
        if (HighWaterMark + PageTokens > Capacity) return -1;
        if (HighWaterMark + PageTokens > references.Length)
        {
            int slots = (int)Math.Min(Capacity, Math.Max(64L * PageTokens, 2L * references.Length));
            Array.Resize(ref references, slots);
            Array.Resize(ref usedInPage, slots / PageTokens);
        }
        HighWaterMark += PageTokens;
        return HighWaterMark / PageTokens - 1;
    }

    private void Undo(ReadOnlySpan<int> taken, List<int> poppedPages, int highWaterMark)
    {
        foreach (int slot in taken)
        {
            references[slot] = 0;
            usedInPage[slot / PageTokens]--;
            InUse--;
        }
        for (int i = poppedPages.Count - 1; i >= 0; i--) freePages.Push(poppedPages[i]);
        HighWaterMark = highWaterMark;
    }

    private void CheckRange(int slot)
    {
        if (slot < 0 || slot >= Capacity)
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"Slot {slot} is outside the pool (capacity {Capacity}).");
    }
}
