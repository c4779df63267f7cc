using DeFT.Kernels;

namespace DeFT.Bench.Setup;

/// <summary>Partial-attention kernel names as used on the command line and in every report.</summary>
public static class KernelChoice
{
    /// <summary>Report name of <paramref name="kernel"/>: <c>cuda-core</c> or <c>tensor-core</c>.</summary>
    public static string NameOf(AttentionKernel kernel) => kernel switch
    {
        AttentionKernel.CudaCore => "cuda-core",
        AttentionKernel.TensorCore => "tensor-core",
        _ => kernel.ToString(),
    };

    /// <summary>Parses names (case-insensitive); null (the accelerator's default) when none are given.</summary>
    public static List<AttentionKernel>? Parse(IEnumerable<string>? names)
    {
        var list = (names ?? Array.Empty<string>()).Select(n => n.ToLowerInvariant() switch
        {
            "cuda-core" or "cudacore" => AttentionKernel.CudaCore,
            "tensor-core" or "tensorcore" => AttentionKernel.TensorCore,
            _ => throw new FormatException($"Unknown kernel '{n}'; use cuda-core or tensor-core."),
        }).Distinct().ToList();
        return list.Count == 0 ? null : list;
    }
}
