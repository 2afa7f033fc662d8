using System.Globalization;
using System.Text.Json;
using SessionMesh.Errors;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Checks the typed results of <c>context.previous_results</c> in the JSON as sent, before binding:
/// every property each type requires present, of the right JSON type and in range, each problem
/// named by its path (<c>context.previous_results[0].estimated_duration</c>). Binding alone cannot
/// tell a missing number from a zero, and a missing string would be stored as a null that no later
/// read can serialize.
/// </summary>
public static class ResultShapes
{
    private enum Kind
    {
        Text,
        Number,
        Count,
        TextList,
    }

    private sealed record Property(string Name, Kind Kind, double Min = 0, double Max = 0);

    private static readonly Dictionary<string, Property[]> Required = new(StringComparer.Ordinal)
    {
        ["issue_analysis"] = [new("complexity", Kind.Text), new("estimated_duration", Kind.Number, 0, Validate.MaxDuration.TotalSeconds)],
        ["task_decomposition"] = [new("tasks", Kind.TextList)],
        ["code_generation"] = [new("confidence", Kind.Number, 0, 1), new("successful_worlds", Kind.Count, 0, int.MaxValue)],
        ["review"] = [new("quality_score", Kind.Number, 0, 100), new("issues_found", Kind.Count, 0, int.MaxValue)],
        ["generic"] = [new("name", Kind.Text), new("json_payload", Kind.Text)],
    };

    /// <summary>Throws one 400 naming every problem of the body's results (run before binding, which would stop at the first).</summary>
    public static void ThrowIfInvalid(JsonElement root)
    {
        var check = new RequestCheck();
        Check(root, check);
        check.ThrowIfAny();
    }

    /// <summary>Records every problem of the body's <c>context.previous_results</c> in <paramref name="check"/>.</summary>
    public static void Check(JsonElement root, RequestCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (root.ValueKind != JsonValueKind.Object || !TryGet(root, "context", out var context) || context.ValueKind != JsonValueKind.Object
            || !TryGet(context, "previous_results", out var results))
        {
            return;
        }

        if (results.ValueKind != JsonValueKind.Array)
        {
            check.Add("context.previous_results", results.ValueKind == JsonValueKind.Null ? "must be a list (use an empty one)." : "must be a list of results.");
            return;
        }

        var i = 0;
        foreach (var item in results.EnumerateArray())
        {
            CheckResult($"context.previous_results[{i++}]", item, check);
        }
    }

    private static void CheckResult(string path, JsonElement item, RequestCheck check)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            check.Add(path, item.ValueKind == JsonValueKind.Null ? "must not be null." : "must be an object with a \"type\".");
            return;
        }

        if (!TryGet(item, "type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            check.Add($"{path}.type", $"is required: one of {string.Join(", ", Required.Keys)}.");
            return;
        }

        if (!Required.TryGetValue(type.GetString()!, out var properties))
        {
            check.Add($"{path}.type", $"must be one of {string.Join(", ", Required.Keys)}.");
            return;
        }

        foreach (var property in properties)
        {
            var at = $"{path}.{property.Name}";
            if (!TryGet(item, property.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                check.Add(at, "is required.");
                continue;
            }

            if (Problem(property, value) is { } problem)
            {
                check.Add(at, problem);
            }
        }
    }

    private static string? Problem(Property property, JsonElement value)
    {
        switch (property.Kind)
        {
            case Kind.Text:
                return value.ValueKind == JsonValueKind.String ? null : "must be a string.";
            case Kind.TextList:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    return "must be a list of strings.";
                }

                var j = 0;
                foreach (var task in value.EnumerateArray())
                {
                    if (task.ValueKind != JsonValueKind.String)
                    {
                        return $"item {j} must be a string{(task.ValueKind == JsonValueKind.Null ? ", not null" : string.Empty)}.";
                    }

                    j++;
                }

                return null;
            default:
                var range = $"from {property.Min.ToString(CultureInfo.InvariantCulture)} to {property.Max.ToString(CultureInfo.InvariantCulture)}";
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    return property.Kind == Kind.Count ? $"must be a whole number {range}." : $"must be a number {range}.";
                }

                if (property.Kind == Kind.Count && !value.TryGetInt32(out _))
                {
                    return $"must be a whole number {range}.";
                }

                return number < property.Min || number > property.Max ? $"must be {range} (got {number.ToString(CultureInfo.InvariantCulture)})." : null;
        }
    }

    // The API binds property names case-insensitively (the web defaults), so the check does too.
    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
