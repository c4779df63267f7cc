namespace DeFT.Kernels.Primitives;

/// <summary>
/// Asks DeFT.Kernels.Generators for a partial struct's fields <c>B0 … B(count−1)</c> of <paramref name="blockType"/> and,
/// for each of its methods whose first parameter is <c>int block</c>, a method that calls it on every block j with
/// <c>j · width &lt; extent</c> (the extent, a head dimension, is its first argument). ILGPU neither unrolls loops nor
/// keeps indexed arrays in registers; the generated code is the loop written out.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
internal sealed class UnrolledBlocksAttribute(Type blockType, int count, int width) : Attribute
{
    /// <summary>The type of each block.</summary>
    public Type BlockType { get; } = blockType;

    /// <summary>Number of blocks.</summary>
    public int Count { get; } = count;

    /// <summary>Elements of the extent each block covers.</summary>
    public int Width { get; } = width;
}
