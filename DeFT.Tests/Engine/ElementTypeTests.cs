using DeFT.Core;
using DeFT.Core.Planning;
using DeFT.Core.Reference;
using DeFT.Workloads;
using DeFT.Kernels;
using DeFT.Kernels.Device;
using DeFT.Tests.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DeFT.Tests.Engine;

/// <summary>bf16 Q, K, V and output through both partial kernels and the merge, against the double-precision reference of the same (bf16-rounded) inputs.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ElementTypeTests(CpuAcceleratorFixture fixture)
{
    // bf16 keeps 8 significand bits: the output's own rounding is up to 2^-9 relative, and the tensor-core kernel's P is
    // rounded to bf16 before it multiplies V (its row sums use the same P, so only the weights' spread shows).
    private const double OutputMaxAbs = 1.5e-2, OutputRelL2 = 6e-3, LseMaxAbs = 4e-3;

    [Theory]
    [InlineData(AttentionKernel.CudaCore, PlanMethod.Flatten)]
    [InlineData(AttentionKernel.CudaCore, PlanMethod.Node)]
    [InlineData(AttentionKernel.TensorCore, PlanMethod.Flatten)]
    [InlineData(AttentionKernel.TensorCore, PlanMethod.Node)]
    public void Bf16_attention_matches_the_reference(AttentionKernel kernel, PlanMethod method)
    {
        var heads = new HeadConfig(8, 2, 64);
        var w = TreeSpec.Build("1,3_40,9");
        var data = Bf16Data.Round(AttentionData.Random(heads, w.Queries.Length, w.SlotCount, seed: 5));
        var attention = new TreeAttention(fixture.Accelerator, heads, kernel, new AttentionOptions { Elements = ElementType.BFloat16 });
        var (output, lse) = Bf16Data.Run(attention, TreePlanner.Plan(w.Tree, w.Queries, method), data);

        var reference = ReferenceAttention.Compute(w.Tree, w.Queries, data);
        output.Should().NotContain(float.NaN);
        var (maxAbs, rel) = ErrorMetrics.Compare(output, reference.Output);
        maxAbs.Should().BeLessThanOrEqualTo(OutputMaxAbs);
        rel.Should().BeLessThanOrEqualTo(OutputRelL2);
        ErrorMetrics.Compare(lse, reference.Lse).MaxAbs.Should().BeLessThanOrEqualTo(LseMaxAbs);
    }

    [Fact]
    public void Bf16_conversion_rounds_to_nearest_even_and_keeps_nan()
    {
        BFloat16.FromFloat(1f).Bits.Should().Be(0x3F80);
        BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F808000u)).Bits.Should().Be(0x3F80, "a tie rounds to the even significand");
        BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F818000u)).Bits.Should().Be(0x3F82, "a tie rounds to the even significand");
        BFloat16.FromFloat(BitConverter.UInt32BitsToSingle(0x3F808001u)).Bits.Should().Be(0x3F81, "above the tie rounds up");
        float.IsNaN((float)BFloat16.FromFloat(float.NaN)).Should().BeTrue();
        ((float)BFloat16.FromFloat(-2.5f)).Should().Be(-2.5f);
    }

    [Fact]
    public void Element_types_that_do_not_match_the_kernels_are_refused_before_launch()
    {
        var heads = new HeadConfig(4, 1, 64);
        var w = TreeSpec.Build("1,2_16,4");
        var accelerator = fixture.Accelerator;
        var fp16 = fixture.For(heads);
        using var bf16Cache = new KvCache(accelerator, heads, w.SlotCount, elements: ElementType.BFloat16);
        using var q = accelerator.Allocate1D<BFloat16>((long)w.Queries.Length * heads.QueryHeads * heads.HeadDim);
        using var output = accelerator.Allocate1D<BFloat16>(q.Length);
        using var plan = fp16.CreatePlan();
        fp16.Upload(plan, TreePlanner.Plan(w.Tree, w.Queries, PlanMethod.Flatten));
        FluentActions.Invoking(() => fp16.Run(plan, q.View, bf16Cache.Layer(0), output.View))
            .Should().Throw<ArgumentException>().WithMessage("*BFloat16*Float16*");
        FluentActions.Invoking(() => bf16Cache.WriteLayer(0, new System.Half[bf16Cache.LayerElements], new System.Half[bf16Cache.LayerElements]))
            .Should().Throw<InvalidOperationException>().WithMessage("*BFloat16*");
        FluentActions.Invoking(() => bf16Cache.Layer(0).K).Should().Throw<InvalidOperationException>();
    }
}

/// <summary>bf16 test data: inputs rounded to bf16 (so the reference sees exactly what the kernels read) and a run that reads the bf16 output back.</summary>
internal static class Bf16Data
{
    public static AttentionData Round(AttentionData data) =>
        new(data.Heads, data.QueryCount, data.SlotCount, RoundAll(data.Q), RoundAll(data.K), RoundAll(data.V));

    public static BFloat16[] ToBf16(float[] values) => values.Select(BFloat16.FromFloat).ToArray();

    /// <summary>Uploads K/V (host write), q and the plan, runs once and reads output (as float) and LSE.</summary>
    public static (float[] Output, float[] Lse) Run(TreeAttention attention, AttentionPlan plan, AttentionData data)
    {
        var accelerator = attention.Accelerator;
        var heads = data.Heads;
        using var kv = new KvCache(accelerator, heads, data.SlotCount, elements: ElementType.BFloat16);
        kv.WriteLayer(0, ToBf16(data.K), ToBf16(data.V));
        using var q = accelerator.Allocate1D(ToBf16(data.Q));
        using var output = accelerator.Allocate1D(Enumerable.Repeat(BFloat16.FromFloat(float.NaN), data.Q.Length).ToArray());
        using var lse = accelerator.Allocate1D<float>((long)data.QueryCount * heads.QueryHeads);
        using var devicePlan = attention.CreatePlan();
        attention.Upload(devicePlan, plan);
        attention.Run(devicePlan, q.View, kv.Layer(0), output.View, lse.View);
        accelerator.Synchronize();
        return (output.GetAsArray1D().Select(b => (float)b).ToArray(), lse.GetAsArray1D());
    }

    private static float[] RoundAll(float[] values) => values.Select(v => (float)BFloat16.FromFloat(v)).ToArray();
}
