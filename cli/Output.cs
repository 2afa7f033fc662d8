using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SessionMesh.Cli;

/// <summary>How results are shown: the API's own JSON (stable, for scripts) or aligned tables.</summary>
public sealed class Output(bool json, TextWriter stdout)
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(stdout),
        Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
    });

    public bool Json => json;

    public void Write(JsonElement? value, Func<JsonElement, IRenderable> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (json || value is null)
        {
            stdout.WriteLine(value is null ? "null" : JsonSerializer.Serialize(value.Value, CliJson.Pretty));
            return;
        }

        if (System.Console.IsOutputRedirected)
        {
            _console.Profile.Width = 200;
        }

        _console.Write(table(value.Value));
    }

    public void Line(string text) => stdout.WriteLine(text);

    /// <summary>A table with the given columns, one row per element.</summary>
    public static Table Rows(IEnumerable<JsonElement> items, params (string Header, Func<JsonElement, string> Cell)[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (header, _) in columns)
        {
            table.AddColumn(new TableColumn(header).NoWrap());
        }

        foreach (var item in items)
        {
            table.AddRow(columns.Select(c => new Text(c.Cell(item))).ToArray<IRenderable>());
        }

        return table;
    }

    /// <summary>A two-column table of one object's fields.</summary>
    public static Table Fields(JsonElement item)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        foreach (var property in item.EnumerateObject())
        {
            table.AddRow(new Text(property.Name), new Text(Text(property.Value)));
        }

        return table;
    }

    /// <summary>A JSON value as a short cell: strings bare, null empty, objects compact.</summary>
    public static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Array when value.GetArrayLength() == 0 => string.Empty,
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
            string.Join(", ", value.EnumerateArray().Select(Text)),
        _ => value.GetRawText(),
    };

    public static string Field(JsonElement item, params string[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = item;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return string.Empty;
            }
        }

        return Text(current);
    }

    /// <summary>"12 s ago" style age of an ISO timestamp.</summary>
    public static string Age(JsonElement item, params string[] path)
    {
        var text = Field(item, path);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? $"{Math.Max(0, (DateTimeOffset.UtcNow - at).TotalSeconds):0} s ago"
            : string.Empty;
    }
}
