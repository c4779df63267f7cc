using DeFT.Core.Decoding;

namespace DeFT.Workloads.Replays;

/// <summary>
/// A decode loop that can be replayed on a <see cref="DecodeSession"/>: the tree changes an inference engine
/// makes, step by step. A replay keeps the node ids of the session it drives, so it drives one session at a
/// time: <see cref="Start"/> begins afresh.
/// </summary>
public interface IDecodeReplay
{
    /// <summary>Number of decoding steps.</summary>
    int Steps { get; }

    /// <summary>Adds the prompt(s) to an empty <paramref name="session"/> (the prefill, before step 0).</summary>
    void Start(DecodeSession session);

    /// <summary>Applies the tree changes of step <paramref name="step"/> (steps 0, 1, ... in order after <see cref="Start"/>), before the step is planned.</summary>
    void Step(DecodeSession session, int step);
}
