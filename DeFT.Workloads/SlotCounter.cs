namespace DeFT.Workloads;

/// <summary>Hands out consecutive KV-cache slot ids to builders.</summary>
internal sealed class SlotCounter
{
    private int next;

    public IEnumerable<int> Take(int count)
    {
        var slots = Enumerable.Range(next, count).ToArray();
        next += count;
        return slots;
    }
}
