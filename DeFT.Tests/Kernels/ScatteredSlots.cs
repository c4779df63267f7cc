namespace DeFT.Tests.Kernels;

/// <summary>Hands out KV-cache slots of <c>[0, capacity)</c> in a shuffled order, so trees built by hand have scattered slots.</summary>
public sealed class ScatteredSlots
{
    private readonly int[] order;
    private int next;

    public ScatteredSlots(int seed, int capacity = 256)
    {
        var rng = new Random(seed);
        order = Enumerable.Range(0, capacity).OrderBy(_ => rng.Next()).ToArray();
    }

    /// <summary>One more than the largest slot handed out so far: the KV cache size the tree needs.</summary>
    public int Count { get; private set; }

    /// <summary>The next <paramref name="count"/> slots.</summary>
    public int[] Take(int count)
    {
        var slots = order.AsSpan(next, count).ToArray();
        next += count;
        if (slots.Length > 0) Count = Math.Max(Count, slots.Max() + 1);
        return slots;
    }
}
