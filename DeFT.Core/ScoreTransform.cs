namespace DeFT.Core;

/// <summary>
/// How a raw score q·k becomes a softmax logit: times <see cref="Scale"/>, then, when <see cref="SoftCap"/> is positive,
/// soft-capped as <c>cap · tanh(x / cap)</c> (Gemma 2's logit soft-capping). FlashInfer calls these <c>sm_scale</c> and
/// <c>logits_soft_cap</c>.
/// </summary>
public readonly record struct ScoreTransform
{
    /// <summary>A transform; throws when the scale is not finite and positive or the cap is negative or not finite.</summary>
    public ScoreTransform(double scale, double softCap = 0)
    {
        if (!double.IsFinite(scale) || scale <= 0)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The softmax scale must be finite and positive.");
        if (!double.IsFinite(softCap) || softCap < 0)
            throw new ArgumentOutOfRangeException(nameof(softCap), softCap, "The soft cap must be finite and non-negative (0: none).");
        Scale = scale;
        SoftCap = softCap;
    }

    /// <summary>The usual transform of <paramref name="heads"/>: scale 1/√D, no cap.</summary>
    public static ScoreTransform Default(HeadConfig heads) => new(heads.Scale);

    /// <summary>Multiplier of the raw score (the softmax scale).</summary>
    public double Scale { get; }

    /// <summary>The logit cap, or 0 for none.</summary>
    public double SoftCap { get; }

    /// <summary>The logit of raw score <paramref name="score"/>.</summary>
    public double Apply(double score) => SoftCap > 0 ? SoftCap * Math.Tanh(score * Scale / SoftCap) : score * Scale;

    /// <inheritdoc/>
    public override string ToString() => SoftCap > 0 ? $"scale {Scale:G4}, soft cap {SoftCap:G4}" : $"scale {Scale:G4}";
}
