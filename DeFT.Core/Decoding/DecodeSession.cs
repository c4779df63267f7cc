using DeFT.Core.Planning;
using DeFT.Core.Trees;

namespace DeFT.Core.Decoding;

/// <summary>
/// The host side of a tree decode loop: a <see cref="DecodingTree"/> whose token slots come from a
/// <see cref="SlotPool"/>, the step's changes an inference engine makes to it, and the plan of the step.
/// <para>
/// Per step: change the tree (<see cref="AppendToBranches"/>, <see cref="Append"/>, <see cref="Fork"/>,
/// <see cref="Prune"/>, <see cref="AddCandidates"/>, <see cref="Accept"/>); <see cref="TakeNewSlots"/> to learn
/// where the new tokens' K and V go; <see cref="Plan"/> once. The queries are <see cref="Queries"/>: every live
/// leaf plus every speculative candidate, each seeing its whole node, in pre-order (rows of q and the output).
/// </para>
/// <para>
/// Every change validates before it mutates: an unknown or removed node, a bad token-tree description or an
/// exhausted pool throws (<see cref="TreeException"/>, <see cref="SlotPoolExhaustedException"/>) and leaves
/// the tree, the pool and the new-slot list unchanged. Pruned and rejected tokens give one reference per slot
/// back to the pool; with nobody else retaining them, <see cref="SlotPool.InUse"/> equals the tree's live tokens.
/// </para>
/// </summary>
public sealed class DecodeSession
{
    private readonly HashSet<int> candidates = new();
    private readonly List<int> newSlots = new();

    /// <summary>Creates an empty session drawing slots from <paramref name="pool"/> (which other sessions may share).</summary>
    public DecodeSession(SlotPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        Pool = pool;
    }

    /// <summary>The pool the tokens' slots come from.</summary>
    public SlotPool Pool { get; }

    /// <summary>The current tree. Read it freely; change it only through the session, or the pool falls out of step.</summary>
    public DecodingTree Tree { get; } = new();

    /// <summary>Slots of the tokens added since the last <see cref="TakeNewSlots"/>, in the order they were added (dropped tokens left out).</summary>
    public IReadOnlyList<int> NewSlots => newSlots;

    /// <summary>Starts a new sequence (a prompt) of <paramref name="tokens"/> new tokens; returns its node.</summary>
    public int AddRoot(int tokens)
    {
        var slots = Pool.Allocate(tokens);
        int node = Tree.AddRoot(slots);
        newSlots.AddRange(slots);
        return node;
    }

    /// <summary>Forks a new branch under <paramref name="parent"/> holding <paramref name="tokens"/> new tokens (0 for an empty branch that the next <see cref="AppendToBranches"/> starts); returns its node.</summary>
    public int Fork(int parent, int tokens)
    {
        RequireLive(parent);
        var slots = Pool.Allocate(tokens);
        int node = Tree.Fork(parent, slots);
        newSlots.AddRange(slots);
        return node;
    }

    /// <summary>Appends one new token to <paramref name="node"/>; returns its slot.</summary>
    public int Append(int node)
    {
        RequireLive(node);
        int slot = Pool.Allocate(1, LastSlot(node))[0];
        Tree.Append(node, slot);
        newSlots.Add(slot);
        return slot;
    }

    /// <summary>
    /// Appends one new token to every live branch: every live leaf that is not a speculative candidate, in
    /// pre-order. Returns the new slots in that order. All or nothing when the pool runs out.
    /// </summary>
    public int[] AppendToBranches()
    {
        var branches = Tree.PreOrder().Where(n => Tree.Children(n).Count == 0 && !candidates.Contains(n)).ToArray();
        var slots = Pool.Allocate(branches.Select(LastSlot).ToArray());
        for (int i = 0; i < branches.Length; i++) Tree.Append(branches[i], slots[i]);
        newSlots.AddRange(slots);
        return slots;
    }

    /// <summary>Removes <paramref name="node"/> and its subtree (a finished or abandoned branch); their slots go back to the pool.</summary>
    public void Prune(int node)
    {
        RequireLive(node);
        Release(Tree.Prune(node));
        candidates.RemoveWhere(c => !Tree.IsLive(c));
    }

    /// <summary>
    /// Adds a speculative token tree under <paramref name="prompt"/>: candidate <c>i</c> is one new token whose
    /// parent is candidate <c>parents[i]</c> (an earlier one) or, for -1, the prompt. Every candidate is a query.
    /// Returns the candidates' nodes in the order of <paramref name="parents"/>.
    /// </summary>
    public int[] AddCandidates(int prompt, IReadOnlyList<int> parents)
    {
        ArgumentNullException.ThrowIfNull(parents);
        RequireLive(prompt);
        for (int i = 0; i < parents.Count; i++)
            if (parents[i] < -1 || parents[i] >= i)
                throw new TreeException($"Candidate {i} names parent candidate {parents[i]}; a parent must be -1 (the prompt) or an earlier candidate " +
                    (i == 0 ? "(candidate 0 has none)." : $"(0..{i - 1})."));
        var slots = Pool.Allocate(parents.Count);
        var nodes = new int[parents.Count];
        for (int i = 0; i < nodes.Length; i++)
        {
            nodes[i] = Tree.Fork(parents[i] < 0 ? prompt : nodes[parents[i]], new[] { slots[i] });
            candidates.Add(nodes[i]);
        }
        newSlots.AddRange(slots);
        return nodes;
    }

    /// <summary>
    /// Ends a round of speculative decoding under <paramref name="prompt"/>: the candidates of
    /// <paramref name="accepted"/> — a path down the token tree, starting at a child of the prompt — join the
    /// prompt (their tokens and slots are kept), and every other candidate is dropped and its slot freed. An
    /// empty path rejects the whole token tree. Every child of the prompt must be a candidate.
    /// </summary>
    public void Accept(int prompt, IReadOnlyList<int> accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        RequireLive(prompt);
        foreach (int child in Tree.Children(prompt))
            if (!candidates.Contains(child))
                throw new TreeException($"Node {prompt} has child {child}, which is not a speculative candidate; Accept drops every child of the prompt, so only a token tree may hang under it.");
        int parent = prompt;
        for (int i = 0; i < accepted.Count; i++)
        {
            int node = accepted[i];
            if (!Tree.IsLive(node))
                throw new TreeException($"Accepted token {i} is node {node}, which is unknown or was removed.");
            if (Tree.Parent(node) != parent)
                throw new TreeException($"Accepted token {i} (node {node}) is not a child of {(i == 0 ? "the prompt" : "the previous accepted token")} (node {parent}); " +
                    $"the accepted tokens must be a path down the token tree ({accepted.Count} given).");
            if (!candidates.Contains(node))
                throw new TreeException($"Accepted token {i} (node {node}) is not a speculative candidate.");
            parent = node;
        }
        foreach (int node in accepted)
        {
            foreach (int sibling in Tree.Children(prompt).Where(c => c != node).ToArray()) Release(Tree.Prune(sibling));
            Tree.MergeIntoParent(node);
        }
        foreach (int rejected in Tree.Children(prompt).ToArray()) Release(Tree.Prune(rejected));
        candidates.RemoveWhere(c => !Tree.IsLive(c));
    }

    /// <summary>
    /// The queries of the current tree, in the order <see cref="Plan"/> gives them to the planner (rows of q and the
    /// output): every live leaf and every speculative candidate, each seeing its whole node, in pre-order.
    /// </summary>
    public TreeQuery[] Queries() =>
        Tree.PreOrder().Where(n => Tree.Children(n).Count == 0 || candidates.Contains(n))
            .Select(n => new TreeQuery(n, Tree.Slots(n).Count)).ToArray();

    /// <summary>
    /// Returns <see cref="NewSlots"/> and clears it: the slots whose K and V the step must write (every layer)
    /// before attention runs.
    /// </summary>
    public int[] TakeNewSlots()
    {
        var slots = newSlots.ToArray();
        newSlots.Clear();
        return slots;
    }

    /// <summary>Plans the step's attention of <see cref="Queries"/> over the tree with <paramref name="method"/> (the session is not changed).</summary>
    public AttentionPlan Plan(PlanMethod method, PlannerOptions? options = null) => TreePlanner.Plan(Tree, Queries(), method, options);

    private void Release(IReadOnlyList<int> slots)
    {
        Pool.Release(slots.ToArray());
        if (newSlots.Count > 0)
        {
            var dropped = slots.ToHashSet();
            newSlots.RemoveAll(dropped.Contains);
        }
    }

    // The slot a node's next token continues from (its page first, with a paged pool): its last token's, or -1.
    private int LastSlot(int node)
    {
        var slots = Tree.Slots(node);
        return slots.Count == 0 ? -1 : slots[^1];
    }

    private void RequireLive(int node)
    {
        if (!Tree.IsLive(node)) throw new TreeException($"Node {node} is unknown or was removed.");
    }
}
