namespace DeFT.Kernels.Planning;

/// <summary>
/// Host seconds of one <see cref="DevicePlanner.Plan"/>, by phase: <paramref name="Tree"/> (the mirror's diff and its
/// upload and scatter enqueued), <paramref name="Launch"/> (sizing, the query upload and the planning launches),
/// <paramref name="Wait"/> (until the plan's totals are read back: the planning kernels' device time shows here) and
/// <paramref name="Fill"/> (sizing the plan's buffers and launching the fill).
/// </summary>
internal readonly record struct DevicePlanPhases(double Tree, double Launch, double Wait, double Fill);
