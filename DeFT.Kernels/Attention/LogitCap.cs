namespace DeFT.Kernels.Attention;

/// <summary>
/// Whether the tensor-core kernel soft-caps its logits (<c>cap · tanh(s / cap)</c>), passed as a generic struct argument
/// like the element type: an instance's score transform is fixed when it is built, so each choice compiles to its own
/// kernel and the uncapped one (every model without a cap) carries neither the test nor, per tile, the register moves
/// ptxas made to merge the capped and uncapped scores.
/// </summary>
internal interface ILogitCap
{
    /// <summary>True when logits are soft-capped (<see cref="AttentionParams.SoftCapLog2"/> then is the cap).</summary>
    bool Capped { get; }
}

/// <summary>Logits as computed: the scale alone.</summary>
internal readonly struct Uncapped : ILogitCap
{
    /// <inheritdoc/>
    public bool Capped => false;
}

/// <summary>Logits soft-capped by <c>tanh</c>.</summary>
internal readonly struct TanhCapped : ILogitCap
{
    /// <inheritdoc/>
    public bool Capped => true;
}
