using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Core.Trees;
using DeFT.Tests.Core;
using DeFT.Tests.Support;

namespace DeFT.Tests.Decoding;

/// <summary>
/// Random decode steps (fork, append, prune, token trees, accept, and changes that must fail) on a small pool. After
/// every change: the pool holds exactly the tree's tokens, the new-slot list holds only live tokens, and every
/// method's plan equals the plan of the same tree built from scratch.
/// </summary>
public class DecodeSessionRandomTests
{
    private static readonly PlannerOptions[] Options = { PlannerOptions.Default, new() { BlockTokens = 5, MaxQueriesPerItem = 3 } };

    private static readonly string[] Operations =
        { "append-branches", "fork", "append", "prune", "add-root", "candidates", "accept", "exhausted", "invalid" };

    private sealed class Driver
    {
        private readonly Random rng;
        private readonly HashSet<int> candidates = new();

        public Driver(int seed, int capacity)
        {
            rng = new Random(seed);
            Session = new DecodeSession(new SlotPool(capacity));
            Session.AddRoot(1 + rng.Next(12));
        }

        public DecodeSession Session { get; }

        public Dictionary<string, int> Counts { get; } = Operations.ToDictionary(o => o, _ => 0);

        private DecodingTree Tree => Session.Tree;

        /// <summary>One random change. Valid changes may run out of slots; those, and the invalid ones, must throw and change nothing.</summary>
        public void Step()
        {
            var live = Tree.PreOrder();
            int node = live[rng.Next(live.Length)];
            switch (rng.Next(10))
            {
                case < 2:
                    Try("append-branches", () => Session.AppendToBranches());
                    break;
                case 2:
                    Try("fork", () => Session.Fork(node, rng.Next(4)));
                    break;
                case 3:
                    Try("append", () => Session.Append(node));
                    break;
                case 4 when rng.Next(4) == 0 || (Tree.Parent(node) < 0 && Tree.Roots.Count == 1):
                    Try("add-root", () => Session.AddRoot(1 + rng.Next(4)));
                    break;
                case 4:
                    Try("prune", () => Session.Prune(node));
                    break;
                case < 7:
                    var parents = Enumerable.Range(0, 1 + rng.Next(7)).Select(i => rng.Next(-1, i)).ToArray();
                    Try("candidates", () => candidates.UnionWith(Session.AddCandidates(node, parents)));
                    break;
                case < 9:
                    Accept();
                    break;
                default:
                    Invalid(node);
                    break;
            }
            candidates.RemoveWhere(c => !Tree.IsLive(c));
            if (rng.Next(3) == 0) Session.TakeNewSlots();
        }

        private void Try(string operation, Action change)
        {
            string before = SessionState.Of(Session);
            try
            {
                change();
                Counts[operation]++;
            }
            catch (SlotPoolExhaustedException)
            {
                SessionState.Of(Session).Should().Be(before, $"a failed {operation} must change nothing");
                Counts["exhausted"]++;
            }
        }

        /// <summary>Accepts a random path under a node whose children are all candidates, and checks what it did.</summary>
        private void Accept()
        {
            var prompts = Tree.PreOrder().Where(n => Tree.Children(n).Count > 0 && Tree.Children(n).All(candidates.Contains)).ToArray();
            if (prompts.Length == 0) return;
            int prompt = prompts[rng.Next(prompts.Length)];
            var path = new List<int>();
            for (int at = prompt, length = rng.Next(5); path.Count < length;)
            {
                var next = Tree.Children(at).Where(candidates.Contains).ToArray();
                if (next.Length == 0) break;
                at = next[rng.Next(next.Length)];
                path.Add(at);
            }
            var expectedSlots = Tree.Slots(prompt).Concat(path.SelectMany(n => Tree.Slots(n))).ToArray();
            Session.Accept(prompt, path);
            Tree.Slots(prompt).Should().Equal(expectedSlots);
            Tree.Children(prompt).Should().BeEmpty();
            Counts["accept"]++;
        }

        /// <summary>A change that must fail: unknown or removed nodes, a path running off the token tree, too many tokens, a bad token tree.</summary>
        private void Invalid(int node)
        {
            var removed = Enumerable.Range(0, Tree.NodeIdBound).Where(n => !Tree.IsLive(n)).ToArray();
            int missing = removed.Length > 0 && rng.Next(2) == 0 ? removed[rng.Next(removed.Length)] : Tree.NodeIdBound + rng.Next(5);
            var leaf = Tree.PreOrder().First(n => Tree.Children(n).Count == 0);
            Action change = rng.Next(6) switch
            {
                0 => () => Session.Fork(missing, 1),
                1 => () => Session.Prune(missing),
                2 => () => Session.Accept(node, Tree.Children(node).Where(candidates.Contains).Take(1).Append(missing).ToArray()),
                3 => () => Session.Accept(Tree.Parent(leaf) < 0 ? leaf : Tree.Parent(leaf), new[] { leaf, leaf }),
                4 => () => Session.Fork(node, Session.Pool.Available + 1),
                _ => () => Session.AddCandidates(node, new[] { -1, 1 }),
            };
            string before = SessionState.Of(Session);
            change.Should().Throw<Exception>().Which.Should().Match(e => e is TreeException || e is SlotPoolExhaustedException);
            SessionState.Of(Session).Should().Be(before);
            Counts["invalid"]++;
        }

        /// <summary>The invariants of a session after any change.</summary>
        public void Check(string context)
        {
            var pool = Session.Pool;
            var slots = Tree.PreOrder().SelectMany(n => Tree.Slots(n)).ToArray();
            pool.InUse.Should().Be(slots.Length, $"the pool holds exactly the live tokens ({context})");
            slots.Should().OnlyContain(s => pool.ReferenceCount(s) == 1, context);
            Session.NewSlots.Should().OnlyHaveUniqueItems().And.BeSubsetOf(slots, context);

            var queries = Session.Queries();
            var (fresh, map) = TreeRebuild.FromPreOrder(Tree);
            var freshQueries = queries.Select(q => new TreeQuery(map[q.Node], q.VisibleTokens)).ToArray();
            foreach (var method in PlannerPropertyTests.Methods)
                foreach (var options in Options)
                    Session.Plan(method, options).ContentEquals(TreePlanner.Plan(fresh, freshQueries, method, options))
                        .Should().BeTrue($"{method} {options} ({context})");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_steps_keep_pool_tree_and_plans_consistent(int seed)
    {
        var driver = new Driver(seed, capacity: 48);
        for (int step = 0; step < 150; step++)
        {
            driver.Step();
            driver.Check($"seed {seed}, step {step}");
        }
        driver.Counts.Should().OnlyContain(c => c.Value > 0, $"every kind of change should happen (seed {seed}: {string.Join(", ", driver.Counts)})");
    }
}
