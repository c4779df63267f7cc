using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;
using DeFT.Core;
using DeFT.Tests.Kernels;

namespace DeFT.Tests.Planning;

/// <summary>
/// The device planner's tree mirror follows a decode session step by step with small uploads (only what changed), and
/// the plan it builds equals the host's after every kind of edit: appends, forks, prunes, new roots, token trees, accepts.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeviceTreeSyncTests(CpuAcceleratorFixture fixture)
{
    private static readonly PlannerOptions Options = new() { BlockTokens = 8, MaxQueriesPerItem = 3 };

    [Fact]
    public void Random_session_edits_keep_the_device_plan_equal_to_the_host_plan()
    {
        // A planner of its own: its mirror starts empty and sees only this session's tree.
        using var planner = new DevicePlanner(fixture.For(new HeadConfig(4, 2, 64)));
        using var devicePlan = planner.Attention.CreatePlan();
        var session = new DecodeSession(new SlotPool(4000));
        var rng = new Random(11);
        int prompt = session.AddRoot(30);
        var branches = Enumerable.Range(0, 4).Select(_ => session.Fork(prompt, 3)).ToList();
        int[] candidates = Array.Empty<int>();
        int speculating = -1;
        for (int step = 0; step < 8; step++)
        {
            long tokensBefore = session.Tree.TokenCount;
            string edit = (step % 4) switch
            {
                0 => "append to every branch",
                1 => "fork two, prune one",
                2 => "token tree under a branch",
                _ => "accept a path, add a root",
            };
            switch (step % 4)
            {
                case 0:
                    session.AppendToBranches();
                    break;
                case 1:
                    branches.Add(session.Fork(branches[rng.Next(branches.Count)], 2));
                    branches.Add(session.Fork(prompt, 0));
                    int victim = branches[rng.Next(branches.Count - 1)];
                    session.Prune(victim);
                    branches.RemoveAll(b => !session.Tree.IsLive(b));
                    break;
                case 2:
                    speculating = branches.First(b => session.Tree.Children(b).Count == 0);
                    candidates = session.AddCandidates(speculating, new[] { -1, -1, 0, 0, 1, 2 });
                    break;
                default:
                    session.Accept(speculating, new[] { candidates[1], candidates[4] });
                    session.AddRoot(5 + step);
                    break;
            }
            var method = DevicePlannerEqualityTests.Methods[step % DevicePlannerEqualityTests.Methods.Length];
            PlanSame(planner, devicePlan, session, method, $"step {step} ({edit}), {method}");
            if (step > 0)
                planner.LastSlotUploads.Should().BeLessThan((int)tokensBefore,
                    $"step {step} ({edit}) uploads the new tokens and the nodes that moved, not the tree");
        }
        PlanSame(planner, devicePlan, session, PlanMethod.Flatten, "planned again, unchanged");
        planner.LastNodeUploads.Should().Be(0, "an unchanged tree uploads nothing");
        planner.LastSlotUploads.Should().Be(0, "an unchanged tree uploads nothing");
    }

    /// <summary>
    /// Speculative rounds retire many node ids per step; the mirror hands their rows to new nodes, so its rows (and the
    /// planner's per-node passes) stay at the most nodes live at once, and the plans stay the host's.
    /// </summary>
    [Fact]
    public void Speculative_rounds_reuse_the_rows_of_removed_nodes()
    {
        using var planner = new DevicePlanner(fixture.For(new HeadConfig(4, 2, 64)));
        using var devicePlan = planner.Attention.CreatePlan();
        var session = new DecodeSession(new SlotPool(4000));
        int prompt = session.AddRoot(20);
        var branches = new[] { session.Fork(prompt, 2), session.Fork(prompt, 3) };
        int mostLive = 0;
        for (int round = 0; round < 6; round++)
        {
            var trees = branches.Select(b => session.AddCandidates(b, new[] { -1, -1, 0, 0, 1, 2, 3 })).ToArray();
            foreach (var (accepted, step) in new[] { (false, "token trees"), (true, "accepted") })
            {
                if (accepted)
                    for (int b = 0; b < branches.Length; b++)
                        session.Accept(branches[b], round % 2 == 0 ? new[] { trees[b][0], trees[b][2] } : new[] { trees[b][1] });
                mostLive = Math.Max(mostLive, session.Tree.NodeCount);
                var method = DevicePlannerEqualityTests.Methods[round % DevicePlannerEqualityTests.Methods.Length];
                PlanSame(planner, devicePlan, session, method, $"round {round}, {step}, {method}");
            }
        }
        session.Tree.NodeIdBound.Should().BeGreaterThan(4 * mostLive, "the rounds retire many ids");
        planner.NodeRows.Should().BeLessThanOrEqualTo(mostLive, "removed nodes' rows go to new nodes");
    }

    /// <summary>
    /// A long speculative session (a Medusa-like token tree under a growing prompt every step, then a few of its tokens
    /// accepted) reuses the arena stretches of the candidates it retires: the mirror does not run out and upload the
    /// whole tree again every few steps, and its plans stay the host's.
    /// </summary>
    [Fact]
    public void Long_speculative_sessions_reuse_arena_stretches()
    {
        using var planner = new DevicePlanner(fixture.For(new HeadConfig(4, 2, 64)));
        using var devicePlan = planner.Attention.CreatePlan();
        var session = new DecodeSession(new SlotPool(4000));
        int prompt = session.AddRoot(40);
        int[] parents = [-1, 0, 0, 1, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10];
        int[] candidates = session.AddCandidates(prompt, parents);
        PlanSame(planner, devicePlan, session, PlanMethod.Flatten, "first token tree");
        for (int step = 1; step <= 24; step++)
        {
            session.Accept(prompt, step % 3 == 0 ? [candidates[0], candidates[1], candidates[3]] : [candidates[0]]);
            candidates = session.AddCandidates(prompt, parents);
            var method = DevicePlannerEqualityTests.Methods[step % DevicePlannerEqualityTests.Methods.Length];
            if (step % 6 == 0) PlanSame(planner, devicePlan, session, method, $"step {step}, {method}");
            else
            {
                session.TakeNewSlots();
                session.PlanOnDevice(planner, devicePlan, method, Options);
            }
        }
        planner.MirrorRestarts.Should().BeLessThanOrEqualTo(1,
            "24 rounds retire 384 candidates; their stretches go to the next rounds' (the prompt's growth may restart once)");
    }

    // The step's new slots are taken (as a decode loop does), the step planned on the device and compared with the host's plan.
    private static void PlanSame(DevicePlanner planner, DevicePlan devicePlan, DecodeSession session, PlanMethod method, string because)
    {
        session.TakeNewSlots();
        session.PlanOnDevice(planner, devicePlan, method, Options);
        DevicePlanComparison.AssertHolds(planner.Attention, devicePlan, session.Plan(method, Options), because);
    }
}
