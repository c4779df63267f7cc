using Half = ILGPU.Half;

namespace DeFT.Bench.Measurement;

/// <summary>Host float data rounded to fp16 for upload (the checks build their inputs on the host).</summary>
internal static class HalfArray
{
    /// <summary><paramref name="values"/> rounded to fp16.</summary>
    public static Half[] From(IEnumerable<float> values) => values.Select(x => (Half)x).ToArray();
}
