using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using ILGPU.Runtime;

namespace DeFT.Tests.Kernels;

/// <summary>
/// The setting of the tests that feed <see cref="TreeAttention"/> bad or disposed objects: a small tree (1,2_24,8 at
/// Hq 4 / Hkv 1 / D 64) planned with Flatten, its inputs on the CPU accelerator and its plan uploaded.
/// </summary>
public abstract class UploadedCaseTests : IDisposable
{
    protected static readonly HeadConfig Heads = new(4, 1, 64);
    protected readonly Accelerator accelerator;
    protected readonly TreeAttention attention;
    protected readonly TreeCase tree = TreeCase.FromSpec("1,2_24,8");
    protected readonly AttentionPlan plan;
    protected readonly DeviceInputs inputs;
    protected readonly DevicePlan devicePlan;

    protected UploadedCaseTests(CpuAcceleratorFixture fixture, int seed)
    {
        accelerator = fixture.Accelerator;
        attention = fixture.For(Heads);
        plan = KernelCheck.Plan(tree, PlanMethod.Flatten);
        inputs = new DeviceInputs(accelerator, AttentionData.Random(Heads, tree.Queries.Length, tree.SlotCount, seed));
        devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
    }

    public void Dispose()
    {
        devicePlan.Dispose();
        inputs.Dispose();
        GC.SuppressFinalize(this);
    }
}
