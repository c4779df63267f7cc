namespace DeFT.Core.Planning;

/// <summary>Double multiply and add, each rounded to nearest on its own (never fused into one multiply-add).</summary>
internal interface IRoundedArithmetic
{
    /// <summary><paramref name="a"/> · <paramref name="b"/>, rounded to nearest.</summary>
    double Multiply(double a, double b);

    /// <summary><paramref name="a"/> + <paramref name="b"/>, rounded to nearest.</summary>
    double Add(double a, double b);
}

/// <summary>.NET's own double arithmetic: the JIT rounds every operation and never contracts a multiply and an add.</summary>
internal readonly struct HostArithmetic : IRoundedArithmetic
{
    public double Multiply(double a, double b) => a * b;

    public double Add(double a, double b) => a + b;
}
