using System.Text;
using DeFT.Core.Decoding;

namespace DeFT.Tests.Decoding;

/// <summary>Everything observable about a session, as one string: tree (pre-order, parents, slots), queries, new slots and the pool's counts.</summary>
internal static class SessionState
{
    public static string Of(DecodeSession session)
    {
        var sb = new StringBuilder();
        var tree = session.Tree;
        foreach (int n in tree.PreOrder()) sb.Append(n).Append('<').Append(tree.Parent(n)).Append(':').AppendJoin(',', tree.Slots(n)).Append(' ');
        sb.Append("| queries ").AppendJoin(' ', session.Queries());
        sb.Append(" | new ").AppendJoin(',', session.NewSlots);
        var pool = session.Pool;
        sb.Append(" | pool ").Append(pool.InUse).Append('/').Append(pool.HighWaterMark).Append(" refs ");
        for (int s = 0; s < pool.HighWaterMark; s++) sb.Append(pool.ReferenceCount(s));
        return sb.ToString();
    }
}
