namespace DeFT.Core.Trees;

/// <summary>Thrown when a tree operation or a tree description is invalid (unknown node, cycle, bad slot, ...).</summary>
public sealed class TreeException : ArgumentException
{
    /// <summary>Creates the exception with a message that names the problem.</summary>
    public TreeException(string message) : base(message) { }
}
