using DeFT.Kernels.Elements;
using DeFT.Kernels.Primitives;
using ILGPU;

namespace DeFT.Kernels.Attention;

/// <summary>
/// How <see cref="MergeKernel"/> lays a row over a warp, from the head dimension alone: a lane owns one 8-dim unit of the
/// row, <see cref="RowLanes"/> lanes cover the row, and the warp's lanes form <see cref="Chains"/> such rows side by side
/// (chain c takes partials c, c + Chains, ...). At D = 96 lanes 24..31 hold no unit.
/// </summary>
internal readonly struct MergeLayout
{
    /// <summary>Dims per lane: one 16-byte load of fp16 partials, two of fp32.</summary>
    public const int UnitDims = 8;

    /// <summary>Lanes per row: one per unit (at most a warp, D ≤ 256).</summary>
    public readonly int RowLanes;

    /// <summary>Rows a warp reads side by side.</summary>
    public readonly int Chains;

    /// <summary>This lane's chain (≥ <see cref="Chains"/> on a lane without a unit).</summary>
    public readonly int Chain;

    /// <summary>This lane's unit of the row: dims <c>8·Unit … 8·Unit + 7</c>.</summary>
    public readonly int Unit;

    /// <summary>Whether this lane holds a unit.</summary>
    public bool Active => Chain < Chains;

    public MergeLayout(int dim, int lane)
    {
        RowLanes = dim / UnitDims;
        Chains = 32 / RowLanes;
        Chain = lane / RowLanes;
        Unit = lane - Chain * RowLanes;
    }

    /// <summary>The batch index of the partial this lane's chain reads at <paramref name="step"/>.</summary>
    public int Partial(int step) => step * Chains + Chain;
}

/// <summary>
/// Where a lane finds its unit of a partial row and a partial's LSE for one query head: views offset once to that head
/// (and the lane's unit) in slot 0, so a partial's address is one unsigned wide multiply of its slot by a stride.
/// </summary>
internal readonly struct MergeSource
{
    /// <summary>16-byte units of the partial rows, from this lane's first unit of the head in slot 0.</summary>
    private readonly ArrayView<Vec16> units;

    /// <summary>Partial LSEs from the head's in slot 0.</summary>
    private readonly ArrayView<float> lse;

    /// <summary>Units per slot (every head's row).</summary>
    private readonly uint slotUnits;

    /// <summary>LSEs per slot: one per query head.</summary>
    private readonly uint queryHeads;

    public MergeSource(ArrayView<float> partials, ArrayView<float> partialLse, in MergeLayout layout, int head, int queryHeads, int dim,
        bool halfPartials)
    {
        int rowUnits = halfPartials ? dim / MergeLayout.UnitDims : dim / (MergeLayout.UnitDims / 2);
        int laneUnit = halfPartials ? layout.Unit : 2 * layout.Unit;
        units = partials.Cast<Vec16>().SubView((long)head * rowUnits + laneUnit);
        lse = partialLse.SubView(head);
        slotUnits = (uint)(queryHeads * rowUnits);
        this.queryHeads = (uint)queryHeads;
    }

    /// <summary>The <paramref name="part"/>-th unit (0, or 1 for fp32's second half) of this lane's dims of the partial in <paramref name="slot"/>.</summary>
    public Vec16 Unit(int slot, int part) => units[(long)((ulong)(uint)slot * slotUnits) + part];

    /// <summary>The LSE of the partial in <paramref name="slot"/>.</summary>
    public float Lse(int slot) => lse[(long)((ulong)(uint)slot * queryHeads)];
}

/// <summary>A lane's 8 dims of a merged row: the weighted sums of its unit over the partials its chain read.</summary>
internal struct MergeUnit
{
    /// <summary>Sums of dims 8u … 8u + 7.</summary>
    public float D0, D1, D2, D3, D4, D5, D6, D7;

    /// <summary>Adds <paramref name="weight"/> times the unit held by <paramref name="load"/>.</summary>
    public void Add<TElement>(in MergeLoad load, float weight) where TElement : struct, IElement
    {
        var e = default(TElement);
        if (e.HalfPartials)
        {
            D0 += weight * e.Low(load.Low.X);
            D1 += weight * e.High(load.Low.X);
            D2 += weight * e.Low(load.Low.Y);
            D3 += weight * e.High(load.Low.Y);
            D4 += weight * e.Low(load.Low.Z);
            D5 += weight * e.High(load.Low.Z);
            D6 += weight * e.Low(load.Low.W);
            D7 += weight * e.High(load.Low.W);
        }
        else
        {
            D0 += weight * Interop.IntAsFloat((uint)load.Low.X);
            D1 += weight * Interop.IntAsFloat((uint)load.Low.Y);
            D2 += weight * Interop.IntAsFloat((uint)load.Low.Z);
            D3 += weight * Interop.IntAsFloat((uint)load.Low.W);
            D4 += weight * Interop.IntAsFloat((uint)load.High.X);
            D5 += weight * Interop.IntAsFloat((uint)load.High.Y);
            D6 += weight * Interop.IntAsFloat((uint)load.High.Z);
            D7 += weight * Interop.IntAsFloat((uint)load.High.W);
        }
    }

    /// <summary>Multiplies the sums by <paramref name="factor"/> (a new maximum M).</summary>
    public void Scale(float factor)
    {
        D0 *= factor;
        D1 *= factor;
        D2 *= factor;
        D3 *= factor;
        D4 *= factor;
        D5 *= factor;
        D6 *= factor;
        D7 *= factor;
    }

    /// <summary>
    /// The unit summed over the warp's chains, in chain order (correct on chain 0's lanes; every lane must call):
    /// lane <c>Unit + c·RowLanes</c> holds chain c's sums of the same dims.
    /// </summary>
    public readonly MergeUnit OverChains(in MergeLayout layout)
    {
        var total = this;
        for (int c = 1; c < layout.Chains; c++)
        {
            int from = layout.Unit + c * layout.RowLanes;
            total.D0 += Warp.Shuffle(D0, from);
            total.D1 += Warp.Shuffle(D1, from);
            total.D2 += Warp.Shuffle(D2, from);
            total.D3 += Warp.Shuffle(D3, from);
            total.D4 += Warp.Shuffle(D4, from);
            total.D5 += Warp.Shuffle(D5, from);
            total.D6 += Warp.Shuffle(D6, from);
            total.D7 += Warp.Shuffle(D7, from);
        }
        return total;
    }

    /// <summary>Writes the sums times <paramref name="inverse"/>, rounded to the element type, as four pairs from pair <paramref name="at"/>.</summary>
    public readonly void Write<TElement>(ArrayView<uint> output, long at, float inverse) where TElement : struct, IElement
    {
        var e = default(TElement);
        output[at] = e.Pack(D0 * inverse, D1 * inverse);
        output[at + 1] = e.Pack(D2 * inverse, D3 * inverse);
        output[at + 2] = e.Pack(D4 * inverse, D5 * inverse);
        output[at + 3] = e.Pack(D6 * inverse, D7 * inverse);
    }
}

/// <summary>
/// One step's unit of a partial row, loaded ahead of its use: 16 bytes of fp16 pairs (<see cref="Low"/>) or 32 bytes of
/// fp32 (<see cref="Low"/>, <see cref="High"/>). <see cref="MergeLoads"/> holds <see cref="MergeLoads.Depth"/> steps
/// and unrolls these methods, so a lane's loads of several partials are in flight at once.
/// </summary>
internal struct MergeLoad
{
    /// <summary>The unit's first (fp16: only) 16 bytes.</summary>
    public Vec16 Low;

    /// <summary>The unit's second 16 bytes (fp32 partials).</summary>
    public Vec16 High;

    /// <summary>
    /// Loads this lane's unit of the partial its chain reads at step <paramref name="first"/> + <paramref name="block"/>
    /// (none past the batch's <paramref name="count"/>) from <paramref name="source"/>; lane k of the warp holds the batch's
    /// k-th partial slot in <paramref name="slot"/>. Every lane must call (the slot comes by a shuffle).
    /// </summary>
    public void Load<TElement>(int block, int first, in MergeLayout layout, int count, int slot, in MergeSource source)
        where TElement : struct, IElement
    {
        int k = layout.Partial(first + block);
        int from = Warp.Shuffle(slot, k & 31);
        if (!layout.Active || k >= count) return;
        Low = source.Unit(from, 0);
        if (!default(TElement).HalfPartials) High = source.Unit(from, 1);
    }

    /// <summary>
    /// Adds the loaded unit of step <paramref name="first"/> + <paramref name="block"/> into <paramref name="sums"/> with its
    /// partial's weight (lane k holds the k-th partial's in <paramref name="weight"/>). A lane past the batch adds nothing:
    /// weight 0 times another query's poisoned NaN row would still be NaN. Every lane must call.
    /// </summary>
    public readonly void Accumulate<TElement>(int block, int first, in MergeLayout layout, int count, float weight, ref MergeUnit sums)
        where TElement : struct, IElement
    {
        int k = layout.Partial(first + block);
        float w = Warp.Shuffle(weight, k & 31);
        if (layout.Active && k < count) sums.Add<TElement>(this, w);
    }
}

/// <summary>A lane's loads of <see cref="Depth"/> steps: fields and unrolled methods generated by DeFT.Kernels.Generators.</summary>
[UnrolledBlocks(typeof(MergeLoad), Depth, 1)]
internal partial struct MergeLoads
{
    /// <summary>
    /// Steps whose loads fly together: 6, 12 partials of a row per round trip at D = 128, all of a PAT or Medusa row and
    /// of a reasoning tree's Node plan. Deeper costs registers and with them the occupancy a merge of many rows lives on
    /// (H200, PAT tree at 32:4: 8 steps 67 registers, 7 groups per SM, 24.4 µs; 4 steps 60 registers, 8 groups, 22.1 µs,
    /// but a reasoning tree's rows took a second round trip).
    /// </summary>
    public const int Depth = 6;
}
