using DeFT.Core;
using DeFT.Kernels;
using ILGPU;
using ILGPU.Runtime.CPU;

namespace DeFT.Tests.Kernels;

/// <summary>An accelerator the kernels cannot run on is refused when <see cref="TreeAttention"/> is built, with a message that says why.</summary>
public sealed class AcceleratorSupportTests
{
    [Fact]
    public void A_default_cpu_device_with_warps_of_four_is_refused_at_construction()
    {
        using var context = Context.Create(builder => builder.CPU(CPUDeviceKind.Default));
        using var accelerator = context.GetCPUDevices()[0].CreateAccelerator(context);
        accelerator.WarpSize.Should().NotBe(32, "the default CPU device is not shaped like an NVIDIA GPU");
        var build = () => new TreeAttention(accelerator, new HeadConfig(4, 1, 64));
        build.Should().Throw<NotSupportedException>().WithMessage("*warps of 32*CPUDeviceKind.Nvidia*");
    }
}
