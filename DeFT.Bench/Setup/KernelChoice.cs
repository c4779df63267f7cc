using DeFT.Kernels;

namespace DeFT.Bench.Setup;

/// <summary>Partial-attention kernel names as used on the command line and in every report.</summary>
public static class KernelChoice
{
    /// <summary>Report name of <paramref name="kernel"/>: <c>cuda-core</c>, <c>tensor-core</c> or <c>auto</c>.</summary>
    public static string NameOf(AttentionKernel kernel) => kernel switch
    {
        AttentionKernel.CudaCore => "cuda-core",
        AttentionKernel.TensorCore => "tensor-core",
        AttentionKernel.Auto => "auto",
        _ => kernel.ToString(),
    };

    /// <summary>Report name of a run: the kernel asked for and, for <c>auto</c>, the one it picked (<c>auto:tensor-core</c>).</summary>
    public static string NameOf(AttentionKernel requested, AttentionKernel used) =>
        requested == AttentionKernel.Auto ? $"auto:{NameOf(used)}" : NameOf(used);

    /// <summary>Parses names (case-insensitive); null (the accelerator's default) when none are given.</summary>
    public static List<AttentionKernel>? Parse(IEnumerable<string>? names)
    {
        var list = (names ?? Array.Empty<string>()).Select(n => n.ToLowerInvariant() switch
        {
            "cuda-core" or "cudacore" => AttentionKernel.CudaCore,
            "tensor-core" or "tensorcore" => AttentionKernel.TensorCore,
            "auto" => AttentionKernel.Auto,
            _ => throw new FormatException($"Unknown kernel '{n}'; use auto, cuda-core or tensor-core."),
        }).Distinct().ToList();
        return list.Count == 0 ? null : list;
    }
}
