using System.Globalization;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Kernels;

namespace DeFT.Bench.Setup;

/// <summary>
/// The <c>--target</c> option: the device the Adaptive planner cuts its plans for (<see cref="PlannerOptions.Target"/>).
/// <c>none</c> (the default): no target, today's plans; <c>device</c>: the accelerator's own SM count and kernel
/// occupancy (<see cref="TreeAttention.ParallelismTarget"/>; <c>run</c> and <c>decode</c> only); <c>h200</c>: 132 SMs,
/// 3 groups per SM of 64 rows (the tensor-core kernel at D 128); or <c>SMS[xGROUPS[xROWS]]</c>, e.g. <c>132x3x64</c>
/// (groups per SM default 3, rows per task 64).
/// </summary>
/// <param name="FromDevice">Ask the accelerator (<c>device</c>).</param>
/// <param name="Multiprocessors">SMs (when not from the device).</param>
/// <param name="GroupsPerMultiprocessor">Groups per SM.</param>
/// <param name="RowsPerTask">Rows per group.</param>
public sealed record TargetChoice(bool FromDevice, int Multiprocessors = 0, int GroupsPerMultiprocessor = 0, int RowsPerTask = 0)
{
    /// <summary>Parses <paramref name="spec"/>; null for <c>none</c> or no option.</summary>
    public static TargetChoice? Parse(string? spec)
    {
        if (spec is null) return null;
        var s = spec.Trim().ToLowerInvariant();
        switch (s)
        {
            case "" or "none": return null;
            case "device": return new TargetChoice(true);
            case "h200": return new TargetChoice(false, 132, 3, 64);
        }
        var parts = s.Split('x');
        var numbers = new int[] { 0, 3, 64 };
        if (parts.Length > 3) throw Bad(spec);
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]) || numbers[i] < 1) throw Bad(spec);
        return new TargetChoice(false, numbers[0], numbers[1], numbers[2]);
    }

    /// <summary>The planner target for <paramref name="heads"/>; <paramref name="attention"/> answers <c>device</c>.</summary>
    public ParallelismTarget Resolve(HeadConfig heads, TreeAttention? attention = null)
    {
        if (!FromDevice) return ParallelismTarget.For(heads, Multiprocessors, GroupsPerMultiprocessor, RowsPerTask);
        if (attention is null) throw new ArgumentException("--target device needs an accelerator (run or decode); the plan command takes SMS[xGROUPS[xROWS]] or h200.");
        return attention.ParallelismTarget();
    }

    private static FormatException Bad(string spec) =>
        new($"Unknown target '{spec}'; use none, device, h200 or SMS[xGROUPS[xROWS]] such as 132x3x64.");
}
