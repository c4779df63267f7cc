using DeFT.Bench.Reports;
using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Workloads;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Kernels.Planning;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Bench.Measurement;

/// <summary>
/// The <c>plan --device</c> rows: a workload planned on the best accelerator by the <see cref="DevicePlanner"/>, and
/// planned on the host and uploaded, each timed to completion (host medians after warm-up). The device plan is checked
/// against the host plan, element for element, first. Kernels are loaded once per head config.
/// </summary>
public sealed class DevicePlanTiming : IDisposable
{
    private readonly Context context = Accelerators.CreateContext();
    private readonly Accelerator accelerator;
    private readonly Dictionary<HeadConfig, (TreeAttention Attention, DevicePlanner Planner, DevicePlan Plan)> byHeads = new();

    /// <summary>Opens the best accelerator.</summary>
    public DevicePlanTiming() => accelerator = Accelerators.CreateBest(context);

    /// <summary>Rows <c>method@device</c> and <c>method+upload</c> after the host row <paramref name="host"/> (whose IO statistics they share: the plans are equal).</summary>
    /// <exception cref="InvalidOperationException">The device plan differs from the host plan.</exception>
    public IEnumerable<PlanMethodRecord> Rows(PlanMethodRecord host, Workload w, HeadConfig heads, PlanMethod method, PlannerOptions options)
    {
        if (!byHeads.TryGetValue(heads, out var e))
        {
            var attention = new TreeAttention(accelerator, heads);
            byHeads[heads] = e = (attention, new DevicePlanner(attention), attention.CreatePlan());
        }
        var expected = TreePlanner.Plan(w.Tree, w.Queries, method, options);
        e.Planner.Plan(e.Plan, w.Tree, w.Queries, method, options);
        if (DevicePlanContents.FirstDifference(e.Plan, expected) is { } difference)
            throw new InvalidOperationException($"The device plan of {w.Name} ({method}, {heads}) differs from the host plan: {difference}.");
        var (_, deviceUs) = HostTimer.Median(() =>
        {
            e.Planner.Plan(e.Plan, w.Tree, w.Queries, method, options);
            accelerator.Synchronize();
            return 0;
        });
        var (_, uploadUs) = HostTimer.Median(() =>
        {
            e.Attention.Upload(e.Plan, TreePlanner.Plan(w.Tree, w.Queries, method, options));
            accelerator.Synchronize();
            return 0;
        });
        return new[]
        {
            host with { Method = host.Method + "@device", PlanMicroseconds = deviceUs },
            host with { Method = host.Method + "+upload", PlanMicroseconds = uploadUs },
        };
    }

    /// <summary>Frees the device plans, the planners and the accelerator.</summary>
    public void Dispose()
    {
        foreach (var (_, planner, plan) in byHeads.Values)
        {
            planner.Dispose();
            plan.Dispose();
        }
        accelerator.Dispose();
        context.Dispose();
    }
}
