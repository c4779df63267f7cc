namespace DeFT.Kernels;

/// <summary>The 16-bit element type of Q, K, V and the output (attention itself accumulates in fp32).</summary>
public enum ElementType
{
    /// <summary>IEEE fp16 (<see cref="System.Half"/> or <see cref="ILGPU.Half"/>).</summary>
    Float16,

    /// <summary>bfloat16 (<see cref="BFloat16"/>): fp32's exponent range with 8 significand bits, what most current models ship.</summary>
    BFloat16,
}
