namespace DeFT.Core.Planning;

/// <summary>A half-open range <c>[Begin, End)</c> of ordered query positions: the exact mask of one KV token.</summary>
public readonly record struct QueryRange(int Begin, int End)
{
    /// <summary>True when ordered query <paramref name="position"/> lies in the range.</summary>
    public bool Contains(int position) => position >= Begin && position < End;
}
