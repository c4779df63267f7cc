using DeFT.Core.Decoding;

namespace DeFT.Tests.Decoding;

public class SlotPoolTests
{
    [Fact]
    public void A_new_pool_has_every_slot_free()
    {
        var pool = new SlotPool(10);

        pool.Capacity.Should().Be(10);
        pool.InUse.Should().Be(0);
        pool.Available.Should().Be(10);
        pool.HighWaterMark.Should().Be(0);
        pool.ReferenceCount(9).Should().Be(0);
    }

    [Fact]
    public void Allocate_hands_out_distinct_fresh_slots_lowest_first_with_one_reference()
    {
        var pool = new SlotPool(10);

        pool.Allocate(3).Should().Equal(0, 1, 2);
        pool.Allocate(2).Should().Equal(3, 4);
        pool.Allocate(0).Should().BeEmpty();

        pool.InUse.Should().Be(5);
        pool.Available.Should().Be(5);
        pool.HighWaterMark.Should().Be(5);
        Enumerable.Range(0, 5).Select(pool.ReferenceCount).Should().OnlyContain(c => c == 1);
        pool.ReferenceCount(5).Should().Be(0);
    }

    [Fact]
    public void Released_slots_come_back_before_fresh_ones_in_the_order_they_were_released()
    {
        var pool = new SlotPool(10);
        pool.Allocate(6);

        pool.Release(new[] { 3, 1, 2 });

        pool.InUse.Should().Be(3);
        pool.ReferenceCount(1).Should().Be(0);
        pool.Allocate(4).Should().Equal(3, 1, 2, 6);
        pool.HighWaterMark.Should().Be(7, "the high-water mark is the peak of InUse");
    }

    [Fact]
    public void Exhaustion_throws_a_clear_exception_and_leaves_the_pool_unchanged()
    {
        var pool = new SlotPool(5);
        pool.Allocate(3);

        var act = () => pool.Allocate(3);

        var e = act.Should().Throw<SlotPoolExhaustedException>()
            .WithMessage("*cannot hand out 3 slot(s)*only 2 of its 5 slots are free*Nothing was allocated*").Which;
        e.Requested.Should().Be(3);
        e.Available.Should().Be(2);
        e.Capacity.Should().Be(5);
        pool.InUse.Should().Be(3);
        pool.HighWaterMark.Should().Be(3);
        pool.Allocate(2).Should().Equal(3, 4);
        pool.Invoking(p => p.Allocate(1)).Should().Throw<SlotPoolExhaustedException>();
    }

    [Fact]
    public void A_shared_slot_is_freed_by_its_last_release()
    {
        var pool = new SlotPool(4);
        var slots = pool.Allocate(2);

        pool.Retain(new[] { slots[0], slots[0] });
        pool.ReferenceCount(slots[0]).Should().Be(3);
        pool.Release(new[] { slots[0] });
        pool.Release(new[] { slots[0] });

        pool.ReferenceCount(slots[0]).Should().Be(1);
        pool.InUse.Should().Be(2);
        pool.Release(new[] { slots[0] });
        pool.ReferenceCount(slots[0]).Should().Be(0);
        pool.InUse.Should().Be(1);
        pool.Allocate(1).Should().Equal(slots[0]);
    }

    [Fact]
    public void A_slot_listed_as_often_as_it_is_held_is_freed_once()
    {
        var pool = new SlotPool(4);
        pool.Allocate(2);
        pool.Retain(new[] { 0 });

        pool.Release(new[] { 0, 0 });

        pool.InUse.Should().Be(1);
        pool.Allocate(2).Should().Equal(0, 2);
    }

    [Fact]
    public void A_double_free_throws_and_releases_nothing()
    {
        var pool = new SlotPool(4);
        pool.Allocate(3);
        pool.Release(new[] { 1 });

        pool.Invoking(p => p.Release(new[] { 0, 1 })).Should().Throw<ArgumentException>()
            .WithMessage("*Slot 1 is not in use (a double free*Nothing was released*");

        pool.ReferenceCount(0).Should().Be(1, "the valid slot before the bad one must not be released");
        pool.InUse.Should().Be(2);
    }

    [Fact]
    public void Releasing_a_slot_more_often_than_it_is_held_throws_and_releases_nothing()
    {
        var pool = new SlotPool(4);
        pool.Allocate(2);
        pool.Retain(new[] { 0 });

        pool.Invoking(p => p.Release(new[] { 0, 1, 0, 0 })).Should().Throw<ArgumentException>()
            .WithMessage("*Slot 0 is released 3 times but holds only 2 reference(s)*");

        pool.ReferenceCount(0).Should().Be(2);
        pool.ReferenceCount(1).Should().Be(1);
        pool.InUse.Should().Be(2);
    }

    [Fact]
    public void Slots_outside_the_pool_or_never_allocated_are_rejected()
    {
        var pool = new SlotPool(4);
        pool.Allocate(2);

        pool.Invoking(p => p.Release(new[] { 4 })).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*outside the pool (capacity 4)*");
        pool.Invoking(p => p.Release(new[] { -1 })).Should().Throw<ArgumentOutOfRangeException>();
        pool.Invoking(p => p.Release(new[] { 3 })).Should().Throw<ArgumentException>().WithMessage("*Slot 3 is not in use*");
        pool.Invoking(p => p.Retain(new[] { 4 })).Should().Throw<ArgumentOutOfRangeException>();
        pool.Invoking(p => p.ReferenceCount(4)).Should().Throw<ArgumentOutOfRangeException>();
        pool.Invoking(p => p.Allocate(-1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new SlotPool(-1)).Should().Throw<ArgumentOutOfRangeException>();
        pool.InUse.Should().Be(2);
    }

    [Fact]
    public void Retaining_a_free_slot_throws_and_retains_nothing()
    {
        var pool = new SlotPool(4);
        pool.Allocate(2);
        pool.Release(new[] { 1 });

        pool.Invoking(p => p.Retain(new[] { 0, 1 })).Should().Throw<ArgumentException>().WithMessage("*Slot 1 is free*Nothing was retained*");

        pool.ReferenceCount(0).Should().Be(1);
        pool.ReferenceCount(1).Should().Be(0);
    }

    [Fact]
    public void A_huge_capacity_costs_nothing_up_front()
    {
        var pool = new SlotPool(int.MaxValue);

        pool.Allocate(3).Should().Equal(0, 1, 2);
        pool.Available.Should().Be(int.MaxValue - 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_use_never_leaks_or_double_frees(int seed)
    {
        var rng = new Random(seed);
        var pool = new SlotPool(40);
        var held = new Dictionary<int, int>(); // the model: references per slot
        for (int op = 0; op < 2000; op++)
        {
            var inUse = held.Keys.OrderBy(s => s).ToArray();
            switch (rng.Next(4))
            {
                case 0:
                    int want = rng.Next(8);
                    if (want > 40 - held.Count)
                    {
                        pool.Invoking(p => p.Allocate(want)).Should().Throw<SlotPoolExhaustedException>();
                        break;
                    }
                    var got = pool.Allocate(want);
                    got.Should().OnlyHaveUniqueItems().And.NotIntersectWith(inUse);
                    foreach (int s in got) held[s] = 1;
                    break;
                case 1 when inUse.Length > 0:
                    var shared = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => inUse[rng.Next(inUse.Length)]).ToArray();
                    pool.Retain(shared);
                    foreach (int s in shared) held[s]++;
                    break;
                case 2 when inUse.Length > 0:
                    var release = Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => inUse[rng.Next(inUse.Length)]).ToArray();
                    bool valid = release.GroupBy(s => s).All(g => g.Count() <= held[g.Key]);
                    if (!valid)
                    {
                        pool.Invoking(p => p.Release(release)).Should().Throw<ArgumentException>().WithMessage("*double free*");
                        break;
                    }
                    pool.Release(release);
                    foreach (int s in release)
                        if (--held[s] == 0) held.Remove(s);
                    break;
                default:
                    int free = Enumerable.Range(0, 40).FirstOrDefault(s => !held.ContainsKey(s), -1);
                    if (free >= 0) pool.Invoking(p => p.Release(new[] { free })).Should().Throw<ArgumentException>();
                    break;
            }
            pool.InUse.Should().Be(held.Count);
            for (int s = 0; s < 40; s++) pool.ReferenceCount(s).Should().Be(held.GetValueOrDefault(s));
        }
    }
}
