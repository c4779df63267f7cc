namespace DeFT.Core.Planning;

/// <summary>
/// One unit of partial attention: the plan's tokens <c>[TokenBegin, TokenEnd)</c> against the ordered
/// queries <c>[QueryBegin, QueryEnd)</c>. The partial result of ordered query <c>p</c> goes to partial
/// slot <c>PartialBase + p - QueryBegin</c>. Blittable, so a GPU can read it as is.
/// </summary>
public readonly record struct WorkItem(int TokenBegin, int TokenEnd, int QueryBegin, int QueryEnd, int PartialBase)
{
    /// <summary>Number of KV tokens.</summary>
    public int TokenCount => TokenEnd - TokenBegin;

    /// <summary>Number of queries (rows per query head).</summary>
    public int QueryCount => QueryEnd - QueryBegin;
}
