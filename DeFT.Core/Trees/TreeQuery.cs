namespace DeFT.Core.Trees;

/// <summary>
/// A decoding query: the newest token of a branch (or a speculative candidate) sitting on
/// <paramref name="Node"/>. It attends all tokens of the node's ancestors plus the first
/// <paramref name="VisibleTokens"/> tokens of the node itself.
/// </summary>
/// <param name="Node">The node the query sits on.</param>
/// <param name="VisibleTokens">How many of the node's own tokens the query sees (usually all).</param>
public readonly record struct TreeQuery(int Node, int VisibleTokens);
