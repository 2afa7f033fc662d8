using System.Data.Common;
using SessionMesh.Sessions;

namespace SessionMesh.Storage;

/// <summary>
/// Brings a database to the schema this build expects: every migration not yet recorded in
/// SessionMeshSchema, then the current OrleansQuery texts. Safe at every start and from many silos
/// at once: on PostgreSQL everything runs in one transaction under an advisory lock, so three silos
/// starting together apply it exactly once; on SQLite the write gate and BEGIN IMMEDIATE serialize.
/// </summary>
public static partial class SchemaMigrator
{
    // An arbitrary, fixed key for pg_advisory_xact_lock: "session mesh schema".
    private const long PostgresLockKey = 0x5E5510_4D455348;

    public static async Task ApplyAsync(DbDataSource dataSource, SqlDialect dialect, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (connection is GatedSqliteConnection sqlite)
        {
            // Hold the in-process write gate throughout; other processes wait on SQLite's own lock.
            await sqlite.EnterGateAsync(cancellationToken);
            await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (dialect == SqlDialect.Postgres)
        {
            await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresLockKey});", cancellationToken);
        }

        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS SessionMeshSchema
            (
                Version   integer      NOT NULL PRIMARY KEY,
                Name      varchar(100) NOT NULL,
                AppliedAt varchar(40)  NOT NULL
            );
            """, cancellationToken);

        foreach (var (version, name, sql) in SchemaScripts.Migrations(dialect))
        {
            await using var check = Command(connection, transaction, "SELECT COUNT(*) FROM SessionMeshSchema WHERE Version = @version;", ("version", version));
            if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, sql, cancellationToken);
            await using var record = Command(connection, transaction, "INSERT INTO SessionMeshSchema (Version, Name, AppliedAt) VALUES (@version, @name, @at);",
                ("version", version), ("name", name), ("at", DateTimeOffset.UtcNow.ToString("O")));
            await record.ExecuteNonQueryAsync(cancellationToken);
            LogApplied(logger, dialect, version, name);
        }

        // Query texts follow the build: upserted every start, so a fixed query reaches old databases.
        foreach (var (key, sql) in SchemaScripts.Queries(dialect))
        {
            await using var upsert = Command(connection, transaction, """
                INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES (@key, @text)
                ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText
                WHERE OrleansQuery.QueryText <> excluded.QueryText;
                """, ("key", key), ("text", sql));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await SeedCountersAsync(connection, transaction, dialect, cancellationToken);
        await RequireQueriesAsync(connection, transaction, dialect, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Counter shards per session status on PostgreSQL (migration 015).</summary>
    private const int CounterShards = 256;

    /// <summary>
    /// One counter row per <see cref="SessionStatus"/>, seeded from the enum at every start (the
    /// triggers only ever update rows): a status added to the enum gets its row without a migration
    /// that repeats the enum's numbers in SQL.
    /// </summary>
    private static async Task SeedCountersAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, CancellationToken cancellationToken)
    {
        // PostgreSQL spreads each status over the 256 counter shards of migration 015 (its triggers
        // pick a shard by the session id's first two hex digits), so that concurrent writers rarely
        // share a row. A shard row missing would lose counts: the triggers only update.
        var seedSql = dialect == SqlDialect.Postgres
            ? $"INSERT INTO SessionCounterShards (Status, Shard, Count) SELECT @status, h, 0 FROM generate_series(0, {CounterShards - 1}) AS h ON CONFLICT (Status, Shard) DO NOTHING;"
            : "INSERT INTO SessionCounters (Status, Count) VALUES (@status, 0) ON CONFLICT (Status) DO NOTHING;";
        foreach (var status in Enum.GetValues<SessionStatus>())
        {
            await using var seed = Command(connection, transaction, seedSql, ("status", (int)status));
            await seed.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Fails the start when OrleansQuery lacks a text the Orleans providers will ask for: without it a
    /// silo would start, then fail its first state write or reminder with a null query.
    /// </summary>
    private static async Task RequireQueriesAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, CancellationToken cancellationToken)
    {
        HashSet<string> present = new(StringComparer.Ordinal);
        await using (var keys = Command(connection, transaction, "SELECT QueryKey FROM OrleansQuery;"))
        await using (var reader = await keys.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                present.Add(reader.GetString(0));
            }
        }

        var missing = SchemaScripts.RequiredQueryKeys(dialect).Where(key => !present.Contains(key)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The {dialect} schema has no OrleansQuery text for {string.Join(", ", missing)}; add schema/{dialect.ToString().ToLowerInvariant()}/queries/<key>.sql.");
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.AddParameters(parameters);
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Dialect} schema migration {Version} ({Name}).")]
    private static partial void LogApplied(ILogger logger, SqlDialect dialect, int version, string name);
}
