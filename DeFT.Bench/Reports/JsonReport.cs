using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeFT.Bench.Reports;

/// <summary>Writes report records as snake_case JSON.</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serialises <paramref name="value"/> to <paramref name="path"/>.</summary>
    public static void Write<T>(string path, T value) => File.WriteAllText(path, JsonSerializer.Serialize(value, Options));

    /// <summary>Reads a file written by <see cref="Write{T}"/>.</summary>
    public static T? Read<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options);

    /// <summary>Serialises <paramref name="value"/> to a string.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
