using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SessionMesh.Bench;

/// <summary>
/// The named figures of one run (issue 15's table), merged into one JSON object so that
/// <c>bench/run.sh</c> can call several modes and end with one <c>latest.json</c>.
/// </summary>
internal static class Figures
{
    private static readonly SortedDictionary<string, JsonNode?> Values = new(StringComparer.Ordinal);

    public static void Set(string name, double value) =>
        Values[name] = double.IsFinite(value) ? JsonValue.Create(Math.Round(value, value >= 100 ? 1 : 4)) : null;

    public static void Set(string name, string value) => Values[name] = JsonValue.Create(value);

    /// <summary>"1k", "100k", "1m": the suffix of a figure measured at that many sessions.</summary>
    public static string Scale(int sessions) => sessions switch
    {
        >= 1_000_000 when sessions % 1_000_000 == 0 => $"{sessions / 1_000_000}m",
        >= 1_000 when sessions % 1_000 == 0 => $"{sessions / 1_000}k",
        _ => sessions.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Adds this run's figures to the object in <paramref name="path"/> (created if missing).</summary>
    public static async Task SaveAsync(string? path)
    {
        if (path is null)
        {
            return;
        }

        var document = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject() : [];
        foreach (var (name, value) in Values)
        {
            document[name] = value?.DeepClone();
        }

        await File.WriteAllTextAsync(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"{Values.Count} figures written to {path}");
    }
}
