using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace SessionMesh.Storage;

/// <summary>
/// The data source every SQLite user in the silo shares (the Orleans providers through their
/// DataSource option, and the session catalog). Each connection it makes sets its pragmas on open
/// and passes the <see cref="SqliteWriteGate"/> before its first write, holding it until it closes.
/// </summary>
public sealed class GatedSqliteDataSource : DbDataSource
{
    private readonly string _connectionString;

    public GatedSqliteDataSource(string databasePath)
    {
        DatabasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The gate writers pass, one at a time.</summary>
    public SqliteWriteGate WriteGate { get; } = new();

    public override string ConnectionString => _connectionString;

    /// <summary>A new connection, not yet open.</summary>
    public new GatedSqliteConnection CreateConnection() => new(_connectionString, WriteGate);

    protected override DbConnection CreateDbConnection() => CreateConnection();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            WriteGate.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Whether a command text may write, as SQLite itself answers it: each statement is compiled and
/// asked <c>sqlite3_stmt_readonly</c>, so no keyword list can miss a write (a CTE that inserts,
/// <c>REPLACE</c>, a pragma that changes the journal) or take a read for one. Answers are kept per
/// text (the silo's texts are a fixed set); a text that does not compile yet (a table a migration
/// has still to create) counts as a write and is asked again next time.
/// </summary>
public static class SqliteStatements
{
    private const int MaxRemembered = 4096;

    private static readonly ConcurrentDictionary<string, bool> Writes = new(StringComparer.Ordinal);

    /// <summary>Whether running <paramref name="commandText"/> on <paramref name="connection"/> (open) may write.</summary>
    public static bool MayWrite(SqliteConnection connection, string commandText)
    {
        if (Writes.TryGetValue(commandText, out var known))
        {
            return known;
        }

        var (writes, certain) = Classify(connection.Handle, commandText);
        if (certain && Writes.Count < MaxRemembered)
        {
            Writes.TryAdd(commandText, writes);
        }

        return writes;
    }

    private static (bool Writes, bool Certain) Classify(sqlite3? db, string commandText)
    {
        if (db is null)
        {
            return (true, false);
        }

        var rest = commandText;
        while (!string.IsNullOrWhiteSpace(rest))
        {
            if (raw.sqlite3_prepare_v2(db, rest, out var statement, out var tail) != raw.SQLITE_OK)
            {
                statement?.Dispose();
                return (true, false);
            }

            using (statement)
            {
                // An empty statement (a trailing comment) compiles to nothing and writes nothing.
                if (statement is not null && !statement.IsInvalid && raw.sqlite3_stmt_readonly(statement) == 0)
                {
                    return (true, true);
                }
            }

            rest = tail;
        }

        return (false, true);
    }
}

/// <summary>A SQLite connection that tunes itself on open and holds the write gate while it writes.</summary>
public sealed class GatedSqliteConnection(string connectionString, SqliteWriteGate gate) : SqliteConnection(connectionString)
{
    // busy_timeout is a backstop for other processes opening the file; in-process writers queue at the gate.
    // synchronous=NORMAL is durable across process crashes in WAL mode and far cheaper than FULL.
    private const string Pragmas = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

    // The pragmas are settings of the native connection, which the pool keeps open between uses:
    // they are set on its first open only (the pool's next hand-out finds them still set).
    private static readonly ConditionalWeakTable<sqlite3, object> Tuned = [];

    private IDisposable? _lease;

    public override void Open()
    {
        base.Open();
        if (Tuned.TryGetValue(Handle!, out _))
        {
            return;
        }

        using var command = base.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        Tuned.AddOrUpdate(Handle!, Pragmas);
    }

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        await base.OpenAsync(cancellationToken);
        if (Tuned.TryGetValue(Handle!, out _))
        {
            return;
        }

        using var command = base.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        Tuned.AddOrUpdate(Handle!, Pragmas);
    }

    /// <summary>
    /// A command that passes the write gate before writing. The ADO.NET providers get these through
    /// <see cref="DbConnection.CreateCommand"/>; <see cref="SqliteConnection.CreateCommand"/> stays
    /// the plain one because SQLite's own transaction code relies on it.
    /// </summary>
    public GatedSqliteCommand CreateGatedCommand() => new(this) { Connection = this };

    protected override DbCommand CreateDbCommand() => CreateGatedCommand();

    public override void Close()
    {
        try
        {
            base.Close();
        }
        finally
        {
            ReleaseGate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            base.Dispose(disposing);
        }
        finally
        {
            ReleaseGate();
        }
    }

    public async Task EnterGateAsync(CancellationToken cancellationToken) =>
        _lease ??= await gate.EnterAsync(cancellationToken);

    internal void EnterGate() => _lease ??= gate.Enter();

    /// <summary>Whether this connection holds the write gate (until it closes).</summary>
    internal bool HoldsGate => _lease is not null;

    private void ReleaseGate()
    {
        _lease?.Dispose();
        _lease = null;
    }
}

/// <summary>
/// A command that takes its connection's write gate before it runs a write. Every execute entry
/// point is covered; the gate is held per connection, so an inner call re-entering is a no-op.
/// </summary>
public sealed class GatedSqliteCommand(GatedSqliteConnection connection) : SqliteCommand
{
    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        await EnterGateAsync(cancellationToken);
        return await base.ExecuteDbDataReaderAsync(behavior, cancellationToken);
    }

    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        await EnterGateAsync(cancellationToken);
        return await base.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
    {
        await EnterGateAsync(cancellationToken);
        return await base.ExecuteScalarAsync(cancellationToken);
    }

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
    {
        EnterGate();
        return base.ExecuteDbDataReader(behavior);
    }

    public override int ExecuteNonQuery()
    {
        EnterGate();
        return base.ExecuteNonQuery();
    }

    public override object? ExecuteScalar()
    {
        EnterGate();
        return base.ExecuteScalar();
    }

    // A connection that holds the gate already (a group-commit batch, a migration) needs no answer.
    private bool NeedsGate => !connection.HoldsGate && SqliteStatements.MayWrite(connection, CommandText);

    private Task EnterGateAsync(CancellationToken cancellationToken) =>
        NeedsGate ? connection.EnterGateAsync(cancellationToken) : Task.CompletedTask;

    private void EnterGate()
    {
        if (NeedsGate)
        {
            connection.EnterGate();
        }
    }
}
