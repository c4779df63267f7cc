namespace DeFT.Core.Planning;

/// <summary>
/// A tree split that follows the tree: blocks are aligned to nodes. A node longer than the chunk length is cut into
/// equal chunks of its own; shorter nodes, taken in depth-first order, join the block before them when the block
/// stays within the packing limit and the <see cref="PlannerOptions.CostModel"/> says one item is cheaper than two
/// (its saved partial results and KV reads outweigh the masked pairs it adds). So a long shared prompt is split for
/// parallelism, a chain of small nodes seen by the same queries is packed, and sibling leaves seen by different
/// queries stay apart instead of being computed for each other's queries, as equal-sized Flatten blocks would.
/// <para>Chunk length and packing limit:</para>
/// <list type="bullet">
/// <item>Without a <see cref="PlannerOptions.Target"/> (the default) both are <see cref="PlannerOptions.BlockTokens"/>.</item>
/// <item>With a target, the planner tries chunk lengths L from the target's <see cref="ParallelismTarget.MinChunkTokens"/>
/// up to the longest node (the longest node's length over 1..64 chunks, and a geometric ladder of ratio 1.25), cuts
/// the tree with each (nodes longer than L into ⌈length / L⌉ chunks, packing up to min(L, BlockTokens)), and
/// keeps the cut with the least <see cref="PlanTimeModel"/> time: the groups of every item list-scheduled on the
/// device's slots, plus the partial results written and read back. More chunks fill more slots but add a partial
/// result per (chunk, query) and a group's fixed cost; fewer chunks save partials but leave slots idle or stretch
/// the last wave. So a long node seen by many queries (many groups per chunk) gets as few chunks as keep every slot
/// busy, possibly longer than BlockTokens, and a small tree is cut below BlockTokens until it fills the device. The
/// cut of BlockTokens (the plan without a target) is kept unless the best is modelled
/// <see cref="ParallelismTarget.MinimumGain"/> faster. The estimate uses each item's whole query range (before the
/// builder trims it), split by <see cref="PlannerOptions.MaxQueriesPerItem"/>. A tree whose tokens are seen by few
/// queries each (<see cref="ParallelismTarget.ForSharing"/>) is cut for the target's
/// <see cref="ParallelismTarget.Streaming"/> target where it names one: its plan runs the kernel's streaming shape.</item>
/// </list>
/// The chunk count is thus a per-node choice (⌈length / L⌉ for the one L chosen per tree); see docs/DESIGN-NOTES.md
/// for the model and worked examples. With a target a node's chunks start at multiples of the target's
/// <see cref="ParallelismTarget.MinChunkTokens"/> (one KV tile) from the node's start, as equal as that allows (their
/// tile counts differ by at most one): equal chunks of a 4096-token node cut in 3 end in a part-filled tile each, a tile
/// of time for a fraction of its tokens, and start mid-tile in memory. Without a target the chunks are equal, as the
/// device planner builds them.
/// </summary>
internal static class AdaptivePlanner
{
    /// <summary>Most chunks of the longest node the search tries as candidate chunk lengths (besides the geometric ladder).</summary>
    internal const int MaxChunksOfLongest = 64;

    /// <summary>Ratio of the geometric ladder of candidate chunk lengths.</summary>
    internal const double LadderRatio = 1.25;

    /// <summary>Plans <paramref name="layout"/>.</summary>
    public static AttentionPlan Plan(TreeLayout layout, PlannerOptions options)
    {
        var builder = new PlanBuilder(PlanMethod.Adaptive, layout.FlatSlotsArray, layout.FlatVisibilityArray, layout.QueryOrderArray, options);
        var segments = Segments(layout);
        options = ForTree(segments, options);
        int chunk = options.Target is null ? options.BlockTokens : Choose(segments, options).ChunkTokens;
        var sink = new BuilderSink(builder, options.Target?.MinChunkTokens ?? 1);
        Cut(segments, options.CostModel, chunk, Math.Min(chunk, options.BlockTokens), ref sink);
        return builder.Build(layout.FlatSlots.Length);
    }

    /// <summary>
    /// The chunk length the planner chooses for <paramref name="layout"/> with <paramref name="options"/> (which must
    /// name a target), with the modelled estimates of that cut and of the cut of BlockTokens.
    /// </summary>
    public static AdaptiveChoice ChooseChunkTokens(TreeLayout layout, PlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Target is null) throw new ArgumentException("The options name no parallelism target.", nameof(options));
        var segments = Segments(layout);
        return Choose(segments, ForTree(segments, options));
    }

    /// <summary>
    /// Every chunk length the planner tries for <paramref name="layout"/> with <paramref name="options"/> (which must name
    /// a target), BlockTokens first, each with its modelled time (for reports; planning itself skips candidates a lower
    /// bound rules out).
    /// </summary>
    public static IReadOnlyList<(int ChunkTokens, PlanTimeEstimate Estimate)> Candidates(TreeLayout layout, PlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Target is null) throw new ArgumentException("The options name no parallelism target.", nameof(options));
        var segments = Segments(layout);
        options = ForTree(segments, options);
        var skeleton = Skeleton(segments, options);
        var sink = new EstimateSink(options.Target!, options.MaxQueriesPerItem);
        return CandidateLengths(segments, options)
            .Select(length => (length, Estimate(segments, skeleton, options, length, ref sink, double.PositiveInfinity)!))
            .ToList();
    }

    /// <summary>
    /// <paramref name="options"/> with the target the tree is cut for: the target's <see cref="ParallelismTarget.Streaming"/>
    /// one when the tree's nodes share few queries per token (<see cref="ParallelismTarget.ForSharing"/>), since its plans
    /// then run the kernel's streaming shape.
    /// </summary>
    private static PlannerOptions ForTree(Segment[] segments, PlannerOptions options)
    {
        if (options.Target?.Streaming is null) return options;
        long tokens = 0, pairs = 0;
        foreach (var (begin, end, lo, hi) in segments)
        {
            tokens += end - begin;
            pairs += (long)(end - begin) * (hi - lo);
        }
        var target = options.Target.ForSharing(tokens, pairs);
        return ReferenceEquals(target, options.Target) ? options : options with { Target = target };
    }

    private static AdaptiveChoice Choose(Segment[] segments, PlannerOptions options)
    {
        var skeleton = Skeleton(segments, options);
        var sink = new EstimateSink(options.Target!, options.MaxQueriesPerItem);
        var baseline = Estimate(segments, skeleton, options, options.BlockTokens, ref sink, double.PositiveInfinity)!;
        int bestTokens = options.BlockTokens;
        var best = baseline;
        foreach (int length in CandidateLengths(segments, options).Skip(1))
        {
            var estimate = Estimate(segments, skeleton, options, length, ref sink, best.TotalMicroseconds);
            if (estimate is not null && estimate.TotalMicroseconds < best.TotalMicroseconds) (bestTokens, best) = (length, estimate);
        }
        return best.TotalMicroseconds < baseline.TotalMicroseconds * (1 - options.Target!.MinimumGain)
            ? new AdaptiveChoice(bestTokens, best, baseline)
            : new AdaptiveChoice(options.BlockTokens, baseline, baseline);
    }

    /// <summary>
    /// BlockTokens, then the longest node's length over 1..<see cref="MaxChunksOfLongest"/> chunks and a ladder of ratio
    /// <see cref="LadderRatio"/> from the target's MinChunkTokens, ascending, each once.
    /// </summary>
    private static List<int> CandidateLengths(Segment[] segments, PlannerOptions options)
    {
        int longest = 0;
        foreach (var s in segments) longest = Math.Max(longest, s.End - s.Begin);
        var candidates = new SortedSet<int>();
        if (longest > 0)
        {
            int shortest = Math.Min(options.Target!.MinChunkTokens, longest);
            for (int c = 1; c <= MaxChunksOfLongest; c++)
            {
                int length = (longest + c - 1) / c;
                if (length < shortest) break;
                candidates.Add(length);
            }
            for (double length = shortest; length < longest; length = Math.Ceiling(length * LadderRatio)) candidates.Add((int)length);
        }
        candidates.Remove(options.BlockTokens);
        var list = new List<int>(candidates.Count + 1) { options.BlockTokens };
        list.AddRange(candidates);
        return list;
    }

    /// <summary>
    /// The cut of BlockTokens as a skeleton: packed blocks and long nodes. Every chunk length of at least BlockTokens packs
    /// (up to BlockTokens) exactly the same blocks and only cuts the long nodes differently, so its estimate replays this.
    /// </summary>
    private static List<(Segment Range, bool LongNode)> Skeleton(Segment[] segments, PlannerOptions options)
    {
        var skeleton = new SkeletonSink(new List<(Segment, bool)>());
        Cut(segments, options.CostModel, options.BlockTokens, options.BlockTokens, ref skeleton);
        return skeleton.Entries;
    }

    /// <summary>
    /// The modelled time of the cut with chunk length <paramref name="chunk"/>, or null when a lower bound (partial time
    /// plus the larger of total group time over the slots and the longest group) already reaches <paramref name="bound"/>.
    /// </summary>
    private static PlanTimeEstimate? Estimate(Segment[] segments, List<(Segment Range, bool LongNode)> skeleton, PlannerOptions options,
        int chunk, ref EstimateSink sink, double bound)
    {
        sink.Reset();
        if (chunk < options.BlockTokens)
            Cut(segments, options.CostModel, chunk, chunk, ref sink);
        else
            foreach (var ((begin, end, lo, hi), longNode) in skeleton)
            {
                if (longNode) sink.Chunks(begin, end, lo, hi, (int)(((long)end - begin + chunk - 1) / chunk));
                else sink.Block(begin, end, lo, hi);
            }
        return sink.Schedule(options.CostModel.PartialBytesPerQuery, bound);
    }

    /// <summary>
    /// Cuts the tree: nodes longer than <paramref name="chunk"/> into equal chunks, shorter ones packed up to
    /// <paramref name="pack"/> tokens where the cost model says so. Hands each block, or each chunked node, to
    /// <paramref name="sink"/> with the union of its tokens' query ranges.
    /// </summary>
    private static void Cut<TSink>(Segment[] segments, PlanCostModel model, int chunk, int pack, ref TSink sink) where TSink : struct, ICutSink
    {
        int curBegin = 0, curEnd = 0, curLo = 0, curHi = 0;
        foreach (var (begin, end, lo, hi) in segments)
        {
            int length = end - begin;
            if (length > chunk)
            {
                if (curEnd > curBegin) sink.Block(curBegin, curEnd, curLo, curHi);
                curBegin = curEnd = end;
                sink.Chunks(begin, end, lo, hi, (int)(((long)length + chunk - 1) / chunk));
                continue;
            }
            if (curEnd > curBegin && curEnd - curBegin + length <= pack)
            {
                int mergedLo = Math.Min(curLo, lo), mergedHi = Math.Max(curHi, hi);
                double together = model.Cost(curEnd - curBegin + length, mergedHi - mergedLo);
                double apart = model.Cost(curEnd - curBegin, curHi - curLo) + model.Cost(length, hi - lo);
                if (together <= apart)
                {
                    (curEnd, curLo, curHi) = (end, mergedLo, mergedHi);
                    continue;
                }
            }
            if (curEnd > curBegin) sink.Block(curBegin, curEnd, curLo, curHi);
            (curBegin, curEnd, curLo, curHi) = (begin, end, lo, hi);
        }
        if (curEnd > curBegin) sink.Block(curBegin, curEnd, curLo, curHi);
    }

    private interface ICutSink
    {
        /// <summary>One group of flat tokens [begin, end) whose tokens are seen by queries within [lo, hi).</summary>
        void Block(int begin, int end, int lo, int hi);

        /// <summary>A node's flat tokens [begin, end) cut into <paramref name="chunks"/> chunks (<see cref="ChunkStart"/>).</summary>
        void Chunks(int begin, int end, int lo, int hi, int chunks);
    }

    /// <summary>
    /// Offset of chunk <paramref name="c"/> (0 ≤ c ≤ <paramref name="chunks"/>; c = chunks gives the length) of a node of
    /// <paramref name="length"/> tokens cut into <paramref name="chunks"/> chunks that start at multiples of
    /// <paramref name="unit"/>: chunk c holds tiles ⌊c·T/chunks⌋ … ⌊(c+1)·T/chunks⌋ − 1 of the node's T = ⌈length / unit⌉
    /// (no chunk is empty while chunks ≤ T; with more chunks than tiles, or unit 1, the chunks are equal).
    /// </summary>
    internal static int ChunkStart(int length, int chunks, int c, int unit)
    {
        long tiles = ((long)length + unit - 1) / unit;
        if (unit <= 1 || tiles < chunks) return (int)((long)c * length / chunks);
        return (int)Math.Min(length, unit * (c * tiles / chunks));
    }

    /// <summary>
    /// <see cref="ChunkStart"/>'s cut as (tokens, count) of its longer and shorter chunks: T mod chunks chunks of ⌈T/chunks⌉
    /// tiles and the rest of ⌊T/chunks⌋ (the last chunk's part-filled tile counted whole); equal chunks without a unit.
    /// </summary>
    internal static (int Long, int LongCount, int Short) ChunkSizes(int length, int chunks, int unit)
    {
        long tiles = ((long)length + unit - 1) / unit;
        if (unit <= 1 || tiles < chunks || chunks == 1) return ((int)(((long)length + chunks - 1) / chunks), chunks, 0);
        int longCount = (int)(tiles % chunks);
        int shortTokens = (int)(unit * (tiles / chunks));
        return longCount == 0 ? (shortTokens, chunks, 0) : (shortTokens + unit, longCount, shortTokens);
    }

    /// <summary>Adds the groups to the plan; a chunked node's chunks start at multiples of <paramref name="unit"/> tokens.</summary>
    private readonly struct BuilderSink(PlanBuilder builder, int unit) : ICutSink
    {
        public void Block(int begin, int end, int lo, int hi) => builder.AddGroup(begin, end);

        public void Chunks(int begin, int end, int lo, int hi, int chunks)
        {
            int length = end - begin;
            for (int c = 0; c < chunks; c++)
                builder.AddGroup(begin + ChunkStart(length, chunks, c, unit), begin + ChunkStart(length, chunks, c + 1, unit));
        }
    }

    /// <summary>Records the cut: blocks, and the long nodes it chunked.</summary>
    private readonly struct SkeletonSink(List<(Segment Range, bool LongNode)> entries) : ICutSink
    {
        public List<(Segment Range, bool LongNode)> Entries => entries;

        public void Block(int begin, int end, int lo, int hi) => entries.Add((new Segment(begin, end, lo, hi), false));

        public void Chunks(int begin, int end, int lo, int hi, int chunks) => entries.Add((new Segment(begin, end, lo, hi), true));
    }

    /// <summary>
    /// Collects the cut as batches of equal work items (a chunked node's chunks counted at their lengths, its
    /// query range split by MaxQueriesPerItem), then list-schedules them unless a lower bound rules the cut out.
    /// </summary>
    private struct EstimateSink(ParallelismTarget target, int maxQueries) : ICutSink
    {
        private readonly List<(int Tokens, int Queries, long Count)> batches = new();
        private readonly PlanTimeModel.Scheduler scheduler = new(target);
        private long partials;
        private double work;
        private double longest;

        public void Reset()
        {
            batches.Clear();
            partials = 0;
            work = 0;
            longest = 0;
        }

        public void Block(int begin, int end, int lo, int hi) => Add(end - begin, hi - lo, 1);

        public void Chunks(int begin, int end, int lo, int hi, int chunks)
        {
            var (longTokens, longCount, shortTokens) = ChunkSizes(end - begin, chunks, target.MinChunkTokens);
            Add(longTokens, hi - lo, longCount);
            if (longCount < chunks) Add(shortTokens, hi - lo, chunks - longCount);
        }

        private void Add(int tokens, int width, long count)
        {
            if (width <= 0) return;
            partials += width * count;
            double duration = target.GroupMicroseconds + tokens * target.TokenMicroseconds;
            longest = Math.Max(longest, duration);
            long full = width / maxQueries;
            int rest = width % maxQueries;
            if (full > 0)
            {
                Append(tokens, maxQueries, full * count);
                work += duration * target.GroupsPerItem(maxQueries) * full * count;
            }
            if (rest > 0)
            {
                Append(tokens, rest, count);
                work += duration * target.GroupsPerItem(rest) * count;
            }
        }

        /// <summary>Adds a batch, merged into the previous one when its items are the same (sibling leaves, say).</summary>
        private readonly void Append(int tokens, int queries, long count)
        {
            if (batches.Count > 0 && batches[^1].Tokens == tokens && batches[^1].Queries == queries)
                batches[^1] = (tokens, queries, batches[^1].Count + count);
            else
                batches.Add((tokens, queries, count));
        }

        public readonly PlanTimeEstimate? Schedule(double partialBytesPerQuery, double bound)
        {
            double partialBytes = partials * partialBytesPerQuery;
            double partialUs = partialBytes / target.PartialBytesPerMicrosecond;
            if (partialUs + Math.Max(work / target.ConcurrentGroups, longest) >= bound) return null;
            scheduler.Reset();
            foreach (var (tokens, queries, count) in batches) scheduler.Add(tokens, queries, count);
            return scheduler.Finish(partialBytes);
        }
    }

    /// <summary>The layout's non-empty nodes in pre-order: flat token range and the union of their tokens' query ranges.</summary>
    private static Segment[] Segments(TreeLayout layout)
    {
        var visibility = layout.FlatVisibilityArray;
        var segments = new List<Segment>(layout.PreOrder.Length);
        foreach (int node in layout.PreOrder)
        {
            var (begin, end) = layout.NodeFlatRange(node);
            if (end <= begin) continue;
            int lo = int.MaxValue, hi = int.MinValue;
            for (int t = begin; t < end; t++)
            {
                lo = Math.Min(lo, visibility[t].Begin);
                hi = Math.Max(hi, visibility[t].End);
            }
            segments.Add(new Segment(begin, end, lo, hi));
        }
        return segments.ToArray();
    }

    private readonly record struct Segment(int Begin, int End, int Lo, int Hi);
}

/// <summary>The chunk length the <see cref="AdaptivePlanner"/> chose for a tree on a target, and why.</summary>
/// <param name="ChunkTokens">Nodes longer than this are cut into ⌈length / ChunkTokens⌉ equal chunks.</param>
/// <param name="Chosen">Modelled time of that cut.</param>
/// <param name="Baseline">Modelled time of the cut of <see cref="PlannerOptions.BlockTokens"/> (the plan without a target).</param>
internal sealed record AdaptiveChoice(int ChunkTokens, PlanTimeEstimate Chosen, PlanTimeEstimate Baseline);
