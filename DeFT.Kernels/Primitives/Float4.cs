namespace DeFT.Kernels.Primitives;

/// <summary>Four floats read or written as one 128-bit access (shared or global memory).</summary>
internal struct Float4
{
    /// <summary>Components.</summary>
    public float X, Y, Z, W;
}
