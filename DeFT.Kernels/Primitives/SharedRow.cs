namespace DeFT.Kernels.Primitives;

/// <summary>
/// A lane's position in a <see cref="SharedWindow"/>, held both as a word index (the CPU accelerator's emulation reads
/// words) and as a shared-state-space address (the PTX instructions' operand). A kernel makes one per tile and derives
/// the others with <see cref="Plus"/>, so on CUDA each is the base register plus a constant, which ptxas folds into the
/// instruction's address (<c>[R + imm]</c>) instead of recomputing <c>base + 4·(word + offset)</c> for every load.
/// </summary>
internal readonly struct SharedRow
{
    /// <summary>The word index in the window.</summary>
    public readonly int Word;

    /// <summary>The word's shared-state-space address (0-based on the CPU accelerator).</summary>
    public readonly uint Address;

    public SharedRow(int word, uint address)
    {
        Word = word;
        Address = address;
    }

    /// <summary>The position <paramref name="words"/> words further.</summary>
    public SharedRow Plus(int words) => new(Word + words, Address + (uint)words * 4u);
}
