namespace DeFT.Kernels.Primitives;

/// <summary>
/// A head dimension known when a kernel is compiled. Kernels take it as a generic struct argument, so
/// ILGPU specialises them and every loop over the dimension has a constant trip count (unrolled, with
/// per-lane accumulators kept in registers).
/// </summary>
internal interface IHeadDim
{
    /// <summary>The head dimension D.</summary>
    int Value { get; }
}

/// <summary>D = 64.</summary>
internal readonly struct HeadDim64 : IHeadDim
{
    /// <inheritdoc/>
    public int Value => 64;
}

/// <summary>D = 128.</summary>
internal readonly struct HeadDim128 : IHeadDim
{
    /// <inheritdoc/>
    public int Value => 128;
}

/// <summary>D = 96.</summary>
internal readonly struct HeadDim96 : IHeadDim
{
    /// <inheritdoc/>
    public int Value => 96;
}

/// <summary>D = 256.</summary>
internal readonly struct HeadDim256 : IHeadDim
{
    /// <inheritdoc/>
    public int Value => 256;
}
