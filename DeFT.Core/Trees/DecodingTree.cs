namespace DeFT.Core.Trees;

/// <summary>
/// A forest of decoding-tree nodes. Each node holds the KV-cache slot ids of its tokens, a parent
/// (or none for a root) and ordered children. Node ids are stable: removing a node never renumbers
/// the others, and ids are never reused. A slot id may appear only once in the whole forest.
/// </summary>
/// <remarks>All traversals are iterative, so trees of any depth are fine.</remarks>
public sealed class DecodingTree
{
    private readonly List<Node> nodes = new();
    private readonly List<int> roots = new();
    private readonly HashSet<int> slotsInUse = new();
    private int liveNodes;
    private long liveTokens;
    private long version;
    private long rootsChangedAt;

    private sealed class Node
    {
        public long ChangedAt;
        public int Parent = -1;
        public readonly List<int> Children = new();
        public readonly List<int> Slots = new();
        public bool Live = true;
    }

    /// <summary>Root node ids, in insertion order.</summary>
    public IReadOnlyList<int> Roots => roots;

    /// <summary>Number of live nodes.</summary>
    public int NodeCount => liveNodes;

    /// <summary>Number of tokens held by live nodes.</summary>
    public long TokenCount => liveTokens;

    /// <summary>One past the largest node id ever handed out (live or removed).</summary>
    public int NodeIdBound => nodes.Count;

    /// <summary>
    /// Counts the edits: it grows with every added, removed, appended-to or merged node. A copy of the tree kept
    /// elsewhere (the device planner's mirror) that saw this version is current; with <see cref="ChangedAt"/> and
    /// <see cref="RootsChangedAt"/> it finds what changed since the version it saw without comparing every node.
    /// </summary>
    public long Version => version;

    /// <summary>The <see cref="Version"/> of the last edit of the root list (a root added or removed).</summary>
    public long RootsChangedAt => rootsChangedAt;

    /// <summary>
    /// The <see cref="Version"/> of the last edit of live node <paramref name="node"/>'s tokens, parent or child list
    /// (its creation included). A node whose sibling order changed is not stamped: its parent is (or the root list).
    /// </summary>
    public long ChangedAt(int node) { Require(node); return nodes[node].ChangedAt; }

    /// <summary>Adds a new root holding <paramref name="slots"/>; returns its id.</summary>
    public int AddRoot(IEnumerable<int> slots)
    {
        int id = NewNode(-1, slots);
        roots.Add(id);
        rootsChangedAt = version;
        return id;
    }

    /// <summary>Adds a new child of <paramref name="parent"/> (after its existing children) holding <paramref name="slots"/>.</summary>
    public int Fork(int parent, IEnumerable<int> slots)
    {
        Require(parent);
        int id = NewNode(parent, slots);
        nodes[parent].Children.Add(id);
        nodes[parent].ChangedAt = version;
        return id;
    }

    /// <summary>Appends tokens to the end of <paramref name="node"/>.</summary>
    public void Append(int node, IEnumerable<int> slots)
    {
        Require(node);
        var list = ValidateNewSlots(slots);
        foreach (int s in list) slotsInUse.Add(s);
        nodes[node].Slots.AddRange(list);
        nodes[node].ChangedAt = ++version;
        liveTokens += list.Count;
    }

    /// <summary>Appends one token to the end of <paramref name="node"/>.</summary>
    public void Append(int node, int slot) => Append(node, new[] { slot });

    /// <summary>
    /// Removes <paramref name="node"/> and its whole subtree. Returns the slots that no node references
    /// any more (all slots of the removed nodes), in pre-order, so the caller can free them.
    /// </summary>
    public IReadOnlyList<int> Prune(int node)
    {
        Require(node);
        var freed = new List<int>();
        var stack = new Stack<int>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var n = nodes[stack.Pop()];
            freed.AddRange(n.Slots);
            for (int c = n.Children.Count - 1; c >= 0; c--) stack.Push(n.Children[c]);
            foreach (int s in n.Slots) slotsInUse.Remove(s);
            liveTokens -= n.Slots.Count;
            n.Live = false;
            liveNodes--;
        }
        Detach(node);
        return freed;
    }

    /// <summary>
    /// Merges <paramref name="child"/> into its parent: the child's tokens are appended to the parent,
    /// the child's children become the parent's, and the child disappears (accepting speculative tokens).
    /// The parent must have no other child, otherwise the siblings would start seeing the child's tokens.
    /// </summary>
    public void MergeIntoParent(int child)
    {
        Require(child);
        var c = nodes[child];
        if (c.Parent < 0) throw new TreeException($"Node {child} is a root and has no parent to merge into.");
        var p = nodes[c.Parent];
        if (p.Children.Count != 1)
            throw new TreeException($"Node {child} cannot be merged into node {c.Parent}: the parent has {p.Children.Count} children; prune the siblings first.");
        p.Slots.AddRange(c.Slots);
        p.Children.Clear();
        p.ChangedAt = ++version;
        foreach (int g in c.Children)
        {
            nodes[g].Parent = c.Parent;
            nodes[g].ChangedAt = version;
            p.Children.Add(g);
        }
        c.Live = false;
        c.Children.Clear();
        liveNodes--;
    }

    /// <summary>True when <paramref name="node"/> was created and not removed.</summary>
    public bool IsLive(int node) => node >= 0 && node < nodes.Count && nodes[node].Live;

    /// <summary>The parent of <paramref name="node"/>, or -1 for a root.</summary>
    public int Parent(int node) { Require(node); return nodes[node].Parent; }

    /// <summary>The ordered children of <paramref name="node"/>.</summary>
    public IReadOnlyList<int> Children(int node) { Require(node); return nodes[node].Children; }

    /// <summary>The KV-cache slots of the tokens of <paramref name="node"/>, in order.</summary>
    public IReadOnlyList<int> Slots(int node) { Require(node); return nodes[node].Slots; }

    /// <summary>The slots of <paramref name="node"/> as a span (no copy); valid until the node changes.</summary>
    public ReadOnlySpan<int> SlotSpan(int node) { Require(node); return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(nodes[node].Slots); }

    /// <summary>Live node ids in depth-first pre-order (roots in order, children in order).</summary>
    public int[] PreOrder()
    {
        var order = new int[liveNodes];
        int k = 0;
        var stack = new Stack<int>();
        for (int r = roots.Count - 1; r >= 0; r--) stack.Push(roots[r]);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            order[k++] = n;
            var ch = nodes[n].Children;
            for (int c = ch.Count - 1; c >= 0; c--) stack.Push(ch[c]);
        }
        return order;
    }

    /// <summary>The number of tokens on the path from a root to <paramref name="node"/>, the node's own tokens included.</summary>
    public long PathLength(int node)
    {
        Require(node);
        long total = 0;
        for (int n = node; n >= 0; n = nodes[n].Parent) total += nodes[n].Slots.Count;
        return total;
    }

    /// <summary>One query per live leaf, seeing the whole leaf, in pre-order.</summary>
    public TreeQuery[] LeafQueries() =>
        PreOrder().Where(n => nodes[n].Children.Count == 0).Select(n => new TreeQuery(n, nodes[n].Slots.Count)).ToArray();

    /// <summary>One query per live node, seeing the whole node, in pre-order (token trees: every candidate is a query).</summary>
    public TreeQuery[] AllNodeQueries() =>
        PreOrder().Select(n => new TreeQuery(n, nodes[n].Slots.Count)).ToArray();

    /// <summary>
    /// Builds a forest from a parent array (-1 marks a root) and per-node slot lists; node <c>i</c> of the
    /// arrays gets node id <c>i</c>. Roots and children keep the order of their ids. Throws <see cref="TreeException"/> for unknown parents, cycles and bad slots,
    /// <see cref="ArgumentNullException"/> for a null array or slot list.
    /// </summary>
    public static DecodingTree FromParents(IReadOnlyList<int> parents, IReadOnlyList<IReadOnlyList<int>> slots)
    {
        ArgumentNullException.ThrowIfNull(parents);
        ArgumentNullException.ThrowIfNull(slots);
        for (int i = 0; i < slots.Count; i++)
            if (slots[i] is null) throw new ArgumentNullException(nameof(slots), $"The slot list of node {i} is null.");
        if (parents.Count != slots.Count)
            throw new TreeException($"Parent array has {parents.Count} entries but {slots.Count} slot lists were given.");
        int n = parents.Count;
        for (int i = 0; i < n; i++)
            if (parents[i] < -1 || parents[i] >= n)
                throw new TreeException($"Node {i} has unknown parent {parents[i]}.");
        // Walk each node upwards; a walk longer than n steps means a cycle. Memoise depths to stay O(n).
        var state = new int[n]; // 0 unvisited, 1 on the current walk, 2 done
        var walk = new List<int>();
        for (int i = 0; i < n; i++)
        {
            walk.Clear();
            int x = i;
            while (x >= 0 && state[x] == 0) { state[x] = 1; walk.Add(x); x = parents[x]; }
            if (x >= 0 && state[x] == 1) throw new TreeException($"The parent array has a cycle through node {x}.");
            foreach (int w in walk) state[w] = 2;
        }
        // Create the nodes in index order so that node i of the arrays is node id i of the tree
        // (a parent may come after its child in the arrays, so link children in a second pass).
        var tree = new DecodingTree();
        for (int i = 0; i < n; i++)
        {
            tree.NewNode(parents[i], slots[i]);
            if (parents[i] < 0) tree.roots.Add(i);
        }
        for (int i = 0; i < n; i++)
            if (parents[i] >= 0) tree.nodes[parents[i]].Children.Add(i);
        tree.rootsChangedAt = tree.version;
        return tree;
    }

    private int NewNode(int parent, IEnumerable<int> slots)
    {
        var list = ValidateNewSlots(slots);
        var node = new Node { Parent = parent, ChangedAt = ++version };
        node.Slots.AddRange(list);
        foreach (int s in list) slotsInUse.Add(s);
        nodes.Add(node);
        liveNodes++;
        liveTokens += list.Count;
        return nodes.Count - 1;
    }

    private List<int> ValidateNewSlots(IEnumerable<int> slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        var list = slots.ToList();
        var seen = new HashSet<int>();
        foreach (int s in list)
        {
            if (s < 0) throw new TreeException($"Slot {s} is negative.");
            if (!seen.Add(s)) throw new TreeException($"Slot {s} appears twice in the new tokens.");
            if (slotsInUse.Contains(s)) throw new TreeException($"Slot {s} is already used by another token of the tree.");
        }
        return list;
    }

    private void Detach(int node)
    {
        int parent = nodes[node].Parent;
        version++;
        if (parent < 0)
        {
            roots.Remove(node);
            rootsChangedAt = version;
        }
        else
        {
            nodes[parent].Children.Remove(node);
            nodes[parent].ChangedAt = version;
        }
    }

    private void Require(int node)
    {
        if (node < 0 || node >= nodes.Count) throw new TreeException($"Unknown node {node}.");
        if (!nodes[node].Live) throw new TreeException($"Node {node} was removed.");
    }
}
