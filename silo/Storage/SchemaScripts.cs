using System.Reflection;
using System.Text.RegularExpressions;

namespace SessionMesh.Silo.Storage;

/// <summary>
/// The project's own SQL, embedded in this assembly: numbered migrations (<c>NNN-name.sql</c>) and
/// the query texts the Orleans ADO.NET providers read from OrleansQuery (<c>queries/Key.sql</c>),
/// one folder per database dialect.
/// </summary>
public static partial class SchemaScripts
{
    /// <summary>Migrations for a dialect, in version order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations(string dialect) =>
        [.. Resources(dialect)
            .Where(r => !r.Path.StartsWith("queries.", StringComparison.Ordinal))
            .Select(r => (Match: MigrationName().Match(r.Path), r.Sql))
            .Where(r => r.Match.Success)
            .Select(r => (int.Parse(r.Match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture), r.Match.Groups["name"].Value, r.Sql))
            .OrderBy(m => m.Item1)];

    /// <summary>OrleansQuery rows for a dialect: key and text.</summary>
    public static IReadOnlyList<(string Key, string Sql)> Queries(string dialect) =>
        [.. Resources(dialect)
            .Where(r => r.Path.StartsWith("queries.", StringComparison.Ordinal))
            .Select(r => (r.Path.Split('.')[^2], r.Sql))
            .OrderBy(q => q.Item1, StringComparer.Ordinal)];

    private static IEnumerable<(string Path, string Sql)> Resources(string dialect)
    {
        var assembly = typeof(SchemaScripts).Assembly;
        var prefix = $"{assembly.GetName().Name}.Storage.Schema.{dialect}.";
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return (name[prefix.Length..], reader.ReadToEnd());
        }
    }

    // Resource names keep a file's own name, so "001-orleans-query.sql" stays as written.
    [GeneratedRegex(@"^(?<version>\d{3})-(?<name>[a-z0-9-]+)\.sql$")]
    private static partial Regex MigrationName();
}
