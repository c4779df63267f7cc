namespace DeFT.Kernels.Planning;

/// <summary>
/// Host seconds of two parts of one <see cref="DevicePlanner.Plan"/>: <paramref name="Tree"/> (the mirror's diff, its
/// upload and scatter enqueued) and <paramref name="Wait"/> (from the planning launches until the plan's totals are read
/// back: the planning kernels' device time shows here). The rest is sizing, the query upload and the launches.
/// </summary>
internal readonly record struct DevicePlanPhases(double Tree, double Wait);
