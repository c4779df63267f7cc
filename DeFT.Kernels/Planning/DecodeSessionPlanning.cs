using DeFT.Core.Decoding;
using DeFT.Core.Planning;
using DeFT.Kernels.Device;
using ILGPU.Runtime;

namespace DeFT.Kernels.Planning;

/// <summary>A decode session's step planned on the device: the twin of <see cref="DecodeSession.Plan"/>.</summary>
public static class DecodeSessionPlanning
{
    /// <summary>
    /// Plans the step's attention of <see cref="DecodeSession.Queries"/> over the session's tree with <paramref name="method"/>
    /// (Flatten, Node, or Adaptive without a <see cref="PlannerOptions.Target"/>: <see cref="DevicePlanner.Supports(PlanMethod, PlannerOptions)"/>) on the device, into <paramref name="target"/> (see <see cref="DevicePlanner.Plan"/>). The host
    /// planner, <see cref="DecodeSession.Plan"/> with <see cref="TreeAttention.Upload"/>, stays the reference and the
    /// fallback for the other methods.
    /// </summary>
    public static void PlanOnDevice(this DecodeSession session, DevicePlanner planner, DevicePlan target,
        PlanMethod method = PlanMethod.Flatten, PlannerOptions? options = null, AcceleratorStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(planner);
        planner.Plan(target, session.Tree, session.Queries(), method, options, stream);
    }
}
