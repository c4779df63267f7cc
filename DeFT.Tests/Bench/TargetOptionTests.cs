using System.Text.Json;
using DeFT.Bench.Commands;
using DeFT.Bench.Reports;
using DeFT.Bench.Setup;
using DeFT.Core;

using DeFT.Tests.Support;

namespace DeFT.Tests.Bench;

/// <summary>The planner's <c>--target</c> option and what the <c>plan</c> command shows with it.</summary>
public sealed class TargetOptionTests
{
    [Fact]
    public void Target_names_parse()
    {
        TargetChoice.Parse(null).Should().BeNull();
        TargetChoice.Parse("none").Should().BeNull();
        TargetChoice.Parse("device").Should().Be(new TargetChoice(true));
        TargetChoice.Parse("H200").Should().Be(new TargetChoice(false, 132, 3, 64));
        TargetChoice.Parse("132").Should().Be(new TargetChoice(false, 132, 3, 64));
        TargetChoice.Parse("100x2").Should().Be(new TargetChoice(false, 100, 2, 64));
        TargetChoice.Parse("80x8x16").Should().Be(new TargetChoice(false, 80, 8, 16));
        foreach (var bad in new[] { "x", "0", "132x0", "1x2x3x4", "gpu", "-5", "132x3x64x" })
            FluentActions.Invoking(() => TargetChoice.Parse(bad)).Should().Throw<FormatException>($"'{bad}' is no target").WithMessage($"*{bad}*");

        var heads = new HeadConfig(32, 8, 128);
        var target = TargetChoice.Parse("80x8x16")!.Resolve(heads);
        (target.Multiprocessors, target.GroupsPerMultiprocessor, target.RowsPerTask, target.QueryHeadsPerKvHead, target.KvHeads)
            .Should().Be((80, 8, 16, 4, 8));
        FluentActions.Invoking(() => new TargetChoice(true).Resolve(heads)).Should().Throw<ArgumentException>().WithMessage("*device*");
    }

    [Theory]
    [InlineData(new string[0], null)]
    [InlineData(new[] { "--target", "none" }, null)]
    [InlineData(new[] { "--target", "h200" }, "132x3x64")]
    [InlineData(new[] { "--target", "66x2", "--block-tokens", "128" }, "66x2x64")]
    public void The_plan_command_line_selects_the_target(string[] args, string? expected)
    {
        var settings = Parse(args);
        settings.TargetChoice?.Resolve(new HeadConfig(32, 8, 128)).ToString().Should().Be(expected);
        if (expected is null) settings.TargetChoice.Should().BeNull();
    }

    [Theory]
    [InlineData("--target", "fast")]
    [InlineData("--target", "0x3")]
    [InlineData("--block-tokens", "0")]
    public void Bad_planner_options_are_refused(params string[] args)
    {
        FluentActions.Invoking(() => Parse(args)).Should().Throw<Exception>();
    }

    [Fact]
    public void The_plan_command_models_every_method_on_the_target_and_shows_adaptive_before_and_after()
    {
        var settings = new PlanCommand.Settings { Trees = new[] { "1,64_16000,1" }, Target = "h200", Methods = new[] { "adaptive", "flatten" } };
        var record = PlanCommand.Build(settings).Single();
        record.Target.Should().Be("132x3x64");
        record.Methods.Select(m => m.Method).Should().Equal("adaptive", "adaptive (no target)", "flatten");
        record.Methods.Should().OnlyContain(m => m.Groups > 0 && m.Waves > 0 && m.ModelMicroseconds > 0);
        var after = record.Methods[0];
        var before = record.Methods[1];
        before.ChunkTokens.Should().Be(256);
        after.ChunkTokens.Should().BeGreaterThan(256, "a prompt seen by 64 queries is cut into longer chunks");
        after.PartialBytesWritten.Should().BeLessThan(before.PartialBytesWritten);
        record.Methods[2].ChunkTokens.Should().BeNull();

        using var doc = JsonDocument.Parse(JsonReport.Serialize(record));
        doc.RootElement.GetProperty("target").GetString().Should().Be("132x3x64");
        var m = doc.RootElement.GetProperty("methods")[0];
        foreach (var name in new[] { "groups", "waves", "model_microseconds", "chunk_tokens" })
            m.TryGetProperty(name, out _).Should().BeTrue($"a modelled method record carries '{name}'");

        var plain = PlanCommand.Build(new PlanCommand.Settings { Trees = settings.Trees, Methods = settings.Methods }).Single();
        plain.Target.Should().BeNull();
        plain.Methods.Select(x => x.Method).Should().Equal("adaptive", "flatten");
        plain.Methods.Should().OnlyContain(x => x.Groups == null);
    }

    private static PlanCommand.Settings Parse(string[] args) => ParsedSettings.Of<PlanCommand.Settings>(args);
}
