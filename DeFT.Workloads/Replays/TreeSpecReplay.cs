using DeFT.Core.Decoding;

namespace DeFT.Workloads.Replays;

/// <summary>
/// A tree of a <see cref="TreeSpec"/> (the paper's PAT trees, say) decoded at its leaves: the tree is the prefill, and
/// every leaf grows by one token per step.
/// </summary>
public sealed class TreeSpecReplay : IDecodeReplay
{
    private readonly int[] counts, tokens;

    /// <summary>Creates the replay of <paramref name="spec"/> for <paramref name="steps"/> steps (positive).</summary>
    /// <exception cref="FormatException"><paramref name="spec"/> is not a tree spec.</exception>
    public TreeSpecReplay(string spec, int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Need at least one step.");
        (counts, tokens) = TreeSpec.Parse(spec);
        Spec = spec;
        Steps = steps;
    }

    /// <summary>The tree's spec.</summary>
    public string Spec { get; }

    /// <inheritdoc/>
    public int Steps { get; }

    /// <summary>Adds the spec's tree, level by level, each node under the parent <see cref="TreeSpec"/> gives it.</summary>
    public void Start(DecodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var previous = Array.Empty<int>();
        for (int l = 0; l < counts.Length; l++)
        {
            var level = new int[counts[l]];
            for (int j = 0; j < level.Length; j++)
                level[j] = l == 0 ? session.AddRoot(tokens[l]) : session.Fork(previous[TreeSpec.ParentIndex(counts, l, j)], tokens[l]);
            previous = level;
        }
    }

    /// <summary>Every leaf gets one new token.</summary>
    public void Step(DecodeSession session, int step)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.AppendToBranches();
    }
}
