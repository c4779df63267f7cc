using DeFT.Core.Decoding;

namespace DeFT.Workloads.Replays;

/// <summary>
/// Speculative decoding with a Medusa token tree (the paper's third workload): each step puts a fresh token
/// tree of candidates under the prompt (every candidate is a query); the next step first accepts the recorded
/// number of them into the prompt and drops the rest. The record says how many tokens were accepted, not
/// which: the replay accepts the top-ranked chain (root candidate, then rank 0 at every depth), which is the
/// deepest path of the Medusa trees of the data.
/// </summary>
public sealed class SpeculativeReplay : IDecodeReplay
{
    private readonly int[] parents;
    private readonly int[] topRankedChain;
    private readonly int[] acceptLengths;
    private int prompt = -1;
    private int[] candidates = Array.Empty<int>();

    /// <summary>
    /// Creates the replay of <paramref name="acceptLengths"/> (one step each) over the token tree of Medusa
    /// <paramref name="choicePaths"/>. Throws <see cref="ArgumentException"/> when a length is negative or longer
    /// than the top-ranked chain.
    /// </summary>
    public SpeculativeReplay(int promptTokens, IReadOnlyList<int[]> choicePaths, IReadOnlyList<int> acceptLengths)
    {
        ArgumentNullException.ThrowIfNull(acceptLengths);
        if (promptTokens < 1) throw new ArgumentOutOfRangeException(nameof(promptTokens), promptTokens, "The prompt needs at least one token.");
        if (acceptLengths.Count == 0) throw new ArgumentException("Need at least one step (accept length).", nameof(acceptLengths));
        var (paths, candidateParents) = MedusaTree.Candidates(choicePaths);
        parents = candidateParents;
        var chain = new List<int> { 0 };
        for (int depth = 1; ; depth++)
        {
            int next = Array.FindIndex(paths, p => p.Length == depth && p.All(rank => rank == 0));
            if (next < 0) break;
            chain.Add(next);
        }
        topRankedChain = chain.ToArray();
        for (int s = 0; s < acceptLengths.Count; s++)
            if (acceptLengths[s] < 0 || acceptLengths[s] > topRankedChain.Length)
                throw new ArgumentException($"Accept length {acceptLengths[s]} at step {s} is outside 0..{topRankedChain.Length}, the length of the token tree's top-ranked chain.", nameof(acceptLengths));
        PromptTokens = promptTokens;
        this.acceptLengths = acceptLengths.ToArray();
    }

    /// <summary>Tokens of the initial prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>Candidates per token tree (the root candidate included).</summary>
    public int TreeSize => parents.Length;

    /// <inheritdoc/>
    public int Steps => acceptLengths.Length;

    /// <summary>Adds the prompt.</summary>
    public void Start(DecodeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        prompt = session.AddRoot(PromptTokens);
        candidates = Array.Empty<int>();
    }

    /// <summary>Accepts the previous step's recorded length (from step 1 on), then adds this step's token tree.</summary>
    public void Step(DecodeSession session, int step)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (step > 0) session.Accept(prompt, topRankedChain.Take(acceptLengths[step - 1]).Select(c => candidates[c]).ToArray());
        candidates = session.AddCandidates(prompt, parents);
    }
}
