using DeFT.Kernels.Primitives;

namespace DeFT.Tests.Primitives;

/// <summary><see cref="FastDivisor"/> against <c>/</c> and <c>%</c> over the whole range it promises (0 ≤ x &lt; 2^31).</summary>
public sealed class FastDivisorTests
{
    [Theory]
    [InlineData(1), InlineData(2), InlineData(3), InlineData(4), InlineData(5), InlineData(6), InlineData(7), InlineData(8)]
    [InlineData(12), InlineData(16), InlineData(24), InlineData(32), InlineData(48), InlineData(64), InlineData(127)]
    [InlineData(641), InlineData(65_537), InlineData(1 << 30), InlineData(int.MaxValue)]
    public void Divides_as_integer_division(int divisor)
    {
        var fast = new FastDivisor(divisor);
        foreach (int x in Dividends(divisor))
        {
            fast.Divide(x).Should().Be(x / divisor, "{0} / {1}", x, divisor);
            fast.Remainder(x).Should().Be(x % divisor, "{0} % {1}", x, divisor);
        }
    }

    [Fact]
    public void Every_small_divisor_divides_every_small_dividend_and_the_extremes()
    {
        for (int divisor = 1; divisor <= 256; divisor++)
        {
            var fast = new FastDivisor(divisor);
            for (int x = 0; x < 4096; x++)
                if (fast.Divide(x) != x / divisor) Assert.Fail($"{x} / {divisor}: {fast.Divide(x)}");
            foreach (int x in new[] { int.MaxValue, int.MaxValue - 1, int.MaxValue - divisor, 1 << 30 })
                fast.Divide(x).Should().Be(x / divisor, "{0} / {1}", x, divisor);
        }
    }

    [Theory]
    [InlineData(0), InlineData(-1), InlineData(int.MinValue)]
    public void A_divisor_below_one_is_refused(int divisor)
    {
        var act = () => new FastDivisor(divisor);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 1*");
    }

    // Multiples of the divisor and their neighbours (where a rounded multiplier fails first), random values, the top.
    private static IEnumerable<int> Dividends(int divisor)
    {
        var random = new Random(divisor);
        for (long q = 0; q * divisor <= int.MaxValue; q = q < 64 ? q + 1 : q * 3 / 2 + random.Next(8))
        {
            long m = q * divisor;
            if (m > 0) yield return (int)(m - 1);
            yield return (int)m;
            if (m < int.MaxValue) yield return (int)(m + 1);
        }
        for (int i = 0; i < 2000; i++) yield return random.Next(int.MaxValue);
        yield return int.MaxValue;
    }
}
