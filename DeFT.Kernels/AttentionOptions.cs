using DeFT.Core;

namespace DeFT.Kernels;

/// <summary>What a <see cref="TreeAttention"/> computes beyond its heads: the element type and how scores become logits.</summary>
public sealed record AttentionOptions
{
    /// <summary>The element type of Q, K, V and the output (default fp16).</summary>
    public ElementType Elements { get; init; } = ElementType.Float16;

    /// <summary>The softmax scale and optional logit soft cap (default: scale 1/√D, no cap).</summary>
    public ScoreTransform? Scores { get; init; }
}
