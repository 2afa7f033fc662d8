using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SessionMesh.Silo.Storage;

/// <summary>
/// Brings a SQLite database to the schema this build expects: WAL mode, every migration not yet
/// applied (each in its own transaction, recorded in SessionMeshSchema), and the current query
/// texts. Safe to run at every start and from several processes at once.
/// </summary>
public static class SqliteSchema
{
    public const string Dialect = "sqlite";

    public static async Task ApplyAsync(GatedSqliteDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = dataSource.CreateConnection();
        await connection.OpenAsync(cancellationToken);

        // Hold the in-process write gate throughout; other processes wait on SQLite's own lock.
        await connection.EnterGateAsync(cancellationToken);

        await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken);
        await ExecuteAsync(connection, null, """
            CREATE TABLE IF NOT EXISTS SessionMeshSchema
            (
                Version   INTEGER NOT NULL PRIMARY KEY,
                Name      TEXT    NOT NULL,
                AppliedAt TEXT    NOT NULL
            );
            """, cancellationToken);

        foreach (var (version, name, sql) in SchemaScripts.Migrations(Dialect))
        {
            // BEGIN IMMEDIATE takes the write lock first, so two processes cannot both decide to apply.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
            await using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT COUNT(*) FROM SessionMeshSchema WHERE Version = $version;";
            check.Parameters.AddWithValue("$version", version);
            if ((long)(await check.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, sql, cancellationToken);
            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO SessionMeshSchema (Version, Name, AppliedAt) VALUES ($version, $name, $at);";
            record.Parameters.AddWithValue("$version", version);
            record.Parameters.AddWithValue("$name", name);
            record.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            await record.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Applied SQLite schema migration {Version} ({Name}).", version, name);
        }

        // Query texts follow the build: upserted every start, so a fixed query reaches old databases.
        await using (var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken))
        {
            foreach (var (key, sql) in SchemaScripts.Queries(Dialect))
            {
                await using var upsert = connection.CreateCommand();
                upsert.Transaction = transaction;
                upsert.CommandText = """
                    INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ($key, $text)
                    ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText
                    WHERE OrleansQuery.QueryText <> excluded.QueryText;
                    """;
                upsert.Parameters.AddWithValue("$key", key);
                upsert.Parameters.AddWithValue("$text", sql);
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
