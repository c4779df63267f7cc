namespace DeFT.Core.Planning;

/// <summary>The modelled time of a plan on a <see cref="ParallelismTarget"/> (<see cref="PlanTimeModel"/>).</summary>
/// <param name="Groups">Thread groups of the partial-attention launch: Σ over items of ⌈queries·G / rows per task⌉ × Hkv.</param>
/// <param name="Waves">Groups over the groups the device runs at once (below 1: the device is not full).</param>
/// <param name="PassMicroseconds">Modelled time of the partial-attention pass: the groups list-scheduled on the device's slots.</param>
/// <param name="PartialMicroseconds">Partial results written and read back by the merge, over the partial bandwidth.</param>
public sealed record PlanTimeEstimate(long Groups, double Waves, double PassMicroseconds, double PartialMicroseconds)
{
    /// <summary><see cref="PassMicroseconds"/> + <see cref="PartialMicroseconds"/>.</summary>
    public double TotalMicroseconds => PassMicroseconds + PartialMicroseconds;
}

/// <summary>
/// How long a plan takes on a device of <see cref="ParallelismTarget.ConcurrentGroups"/> slots, as the
/// <see cref="AdaptivePlanner"/> models it when it chooses chunk lengths:
/// <list type="bullet">
/// <item>every work item of <c>t</c> tokens and <c>q</c> queries launches g = ⌈q·G / RowsPerTask⌉ × Hkv groups, each
/// taking <c>GroupMicroseconds + t · TokenMicroseconds</c>;</item>
/// <item>the groups, in launch order (item by item, as the kernels number them), start on the first free slot (list
/// scheduling); the pass ends when the last group does. This counts what an average over the device would miss:
/// a device that is not full (fewer groups than slots: the pass lasts as long as the longest group), and the last
/// wave (a few groups started late run alone to the end);</item>
/// <item>partial results, <see cref="PlanCostModel.PartialBytesPerQuery"/> per (item, query) (written once and
/// read once by the merge), move at <see cref="ParallelismTarget.PartialBytesPerMicrosecond"/>.</item>
/// </list>
/// The model knows nothing of masks, L2 hits or how a group's speed changes with its neighbours; it is there to
/// rank different cuts of the same tree, not to predict absolute times.
/// </summary>
public static class PlanTimeModel
{
    /// <summary>The modelled time of <paramref name="plan"/> on <paramref name="target"/> with partial results costed by <paramref name="cost"/>.</summary>
    public static PlanTimeEstimate Estimate(AttentionPlan plan, ParallelismTarget target, PlanCostModel cost)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(cost);
        target.Validate();
        var scheduler = new Scheduler(target);
        long partials = 0;
        foreach (var item in plan.Items)
        {
            scheduler.Add(item.TokenCount, item.QueryCount);
            partials += item.QueryCount;
        }
        return scheduler.Finish(partials * cost.PartialBytesPerQuery);
    }

    /// <summary>List scheduling of groups on the target's slots; slots that free at the same time are kept as one entry.</summary>
    internal sealed class Scheduler
    {
        private readonly ParallelismTarget target;
        private readonly PriorityQueue<long, double> slots = new();
        private double end;
        private long groups;

        public Scheduler(ParallelismTarget target)
        {
            this.target = target;
            Reset();
        }

        /// <summary>Frees every slot at time 0 (so one scheduler serves many estimates).</summary>
        public void Reset()
        {
            slots.Clear();
            slots.Enqueue(target.ConcurrentGroups, 0);
            end = 0;
            groups = 0;
        }

        /// <summary>Launches the groups of <paramref name="count"/> work items of <paramref name="tokens"/> tokens and <paramref name="queries"/> queries each.</summary>
        public void Add(int tokens, int queries, long count = 1)
        {
            long k = target.GroupsPerItem(queries) * count;
            if (k <= 0) return;
            groups += k;
            double duration = target.GroupMicroseconds + tokens * target.TokenMicroseconds;
            while (k > 0)
            {
                slots.TryDequeue(out long free, out double at);
                // Merge entries that free at the same moment, so equal groups stay one entry however many there are.
                while (slots.TryPeek(out long more, out double when) && when == at)
                {
                    slots.Dequeue();
                    free += more;
                }
                long taken = Math.Min(free, k);
                slots.Enqueue(taken, at + duration);
                if (free > taken) slots.Enqueue(free - taken, at);
                end = Math.Max(end, at + duration);
                k -= taken;
            }
        }

        /// <summary>The estimate once every item is added, with <paramref name="partialBytes"/> of partial traffic.</summary>
        public PlanTimeEstimate Finish(double partialBytes) =>
            new(groups, (double)groups / target.ConcurrentGroups, end, partialBytes / target.PartialBytesPerMicrosecond);
    }
}
