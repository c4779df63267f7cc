using DeFT.Core.Decoding;

namespace DeFT.Workloads.Replays;

/// <summary>
/// Few-shot prompting (the paper's first workload): one prompt, <see cref="Branches"/> continuations of it
/// decoded side by side, each growing by one token per step.
/// </summary>
public sealed class FewShotReplay : IDecodeReplay
{
    /// <summary>Creates the replay; every count must be positive.</summary>
    public FewShotReplay(int promptTokens, int branches, int steps)
    {
        if (promptTokens < 1) throw new ArgumentOutOfRangeException(nameof(promptTokens), promptTokens, "The prompt needs at least one token.");
        if (branches < 1) throw new ArgumentOutOfRangeException(nameof(branches), branches, "Need at least one branch.");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Need at least one step.");
        PromptTokens = promptTokens;
        Branches = branches;
        Steps = steps;
    }

    /// <summary>Tokens of the shared prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>Number of continuations (b).</summary>
    public int Branches { get; }

    /// <inheritdoc/>
    public int Steps { get; }

    /// <summary>Adds the prompt and <see cref="Branches"/> empty branches under it.</summary>
    public void Start(DecodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        int prompt = session.AddRoot(PromptTokens);
        for (int b = 0; b < Branches; b++) session.Fork(prompt, 0);
    }

    /// <summary>Every branch gets one new token.</summary>
    public void Step(DecodeSession session, int step)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.AppendToBranches();
    }
}
