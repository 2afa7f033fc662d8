using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace SessionMesh.Storage;

/// <summary>
/// The project's own SQL, embedded in this assembly under names the project file fixes
/// (<c>schema/{dialect}/NNN-name.sql</c> for numbered migrations, <c>schema/{dialect}/queries/Key.sql</c>
/// for the texts the Orleans ADO.NET providers read from OrleansQuery), whatever folder the files sit in.
/// </summary>
public static partial class SchemaScripts
{
    /// <summary>
    /// The OrleansQuery keys the Orleans providers a dialect is used with read. A missing one fails
    /// the silo at start (<see cref="SchemaMigrator"/>), not at the first write or reminder.
    /// </summary>
    public static IReadOnlyList<string> RequiredQueryKeys(SqlDialect dialect) => dialect switch
    {
        SqlDialect.Sqlite => [.. GrainStorageKeys, .. ReminderKeys],
        SqlDialect.Postgres => [.. GrainStorageKeys, .. ReminderKeys, .. MembershipKeys],
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, "not a SessionMesh dialect"),
    };

    private static readonly string[] GrainStorageKeys = ["ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey"];

    private static readonly string[] ReminderKeys =
        ["ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey"];

    private static readonly string[] MembershipKeys =
    [
        "MembershipReadAllKey", "MembershipReadRowKey", "InsertMembershipKey", "InsertMembershipVersionKey", "UpdateMembershipKey",
        "UpdateIAmAlivetimeKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
    ];

    /// <summary>Migrations for a dialect, in version order; throws when there are none (the resources did not make it into the build).</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations(SqlDialect dialect)
    {
        List<(int Version, string Name, string Sql)> migrations = [];
        foreach (var (path, sql) in Resources(dialect))
        {
            if (path.StartsWith(QueriesFolder, StringComparison.Ordinal))
            {
                continue;
            }

            var match = MigrationName().Match(path);
            if (!match.Success)
            {
                throw new InvalidOperationException($"schema/{Folder(dialect)}/{path} is not named NNN-name.sql; a migration's file name is its version.");
            }

            migrations.Add((int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, sql));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"{typeof(SchemaScripts).Assembly.GetName().Name} holds no {dialect} migrations (resources schema/{Folder(dialect)}/NNN-name.sql); the build lost its schema scripts.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    /// <summary>OrleansQuery rows for a dialect: key and text.</summary>
    public static IReadOnlyList<(string Key, string Sql)> Queries(SqlDialect dialect) =>
        [.. Resources(dialect)
            .Where(r => r.Path.StartsWith(QueriesFolder, StringComparison.Ordinal))
            .Select(r => (Path.GetFileNameWithoutExtension(r.Path), r.Sql))
            .OrderBy(q => q.Item1, StringComparer.Ordinal)];

    private const string QueriesFolder = "queries/";

    private static string Folder(SqlDialect dialect) => dialect.ToString().ToLowerInvariant();

    private static IEnumerable<(string Path, string Sql)> Resources(SqlDialect dialect)
    {
        var assembly = typeof(SchemaScripts).Assembly;
        var prefix = $"schema/{Folder(dialect)}/";
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // The project file writes RecursiveDir into the name, with the build machine's separator.
            var name = resource.Replace('\\', '/');
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (name[prefix.Length..], reader.ReadToEnd());
        }
    }

    [GeneratedRegex(@"^(?<version>\d{3})-(?<name>[a-z0-9-]+)\.sql$")]
    private static partial Regex MigrationName();
}
