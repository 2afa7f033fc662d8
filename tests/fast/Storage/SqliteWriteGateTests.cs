using SessionMesh.Storage;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>
/// The SQLite write gate lets writers in one at a time and never holds up a reader. Which
/// statements write is SQLite's own answer: a keyword match took a read that mentions a keyword in
/// a literal for a write (and queued it behind writers), and could miss a write it had no keyword for.
/// </summary>
public sealed class SqliteWriteGateTests : IAsyncLifetime, IDisposable
{
    private readonly GatedSqliteDataSource _data = new(Path.Combine(MeshCluster.NewDataDirectory(), "gate.db"));

    public async Task InitializeAsync()
    {
        await using var connection = await _data.OpenConnectionAsync();
        await using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE Notes (Id integer PRIMARY KEY, Text text NOT NULL);";
        await create.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("SELECT Text FROM Notes WHERE Text = 'UPDATE me; DELETE it';", false)]
    [InlineData("SELECT 1; SELECT 2;", false)]
    [InlineData("INSERT INTO Notes (Text) VALUES ('a');", true)]
    [InlineData("WITH n AS (SELECT 'b' AS t) INSERT INTO Notes (Text) SELECT t FROM n;", true)]
    [InlineData("SELECT 1; DELETE FROM Notes;", true)]
    [InlineData("PRAGMA journal_mode = WAL;", true)]
    [InlineData("SELECT * FROM NoSuchTable;", true)]
    public async Task SQLite_itself_says_which_statements_write(string sql, bool writes)
    {
        await using var connection = _data.CreateConnection();
        await connection.OpenAsync();
        Assert.Equal(writes, SqliteStatements.MayWrite(connection, sql));
    }

    [Fact]
    public async Task A_read_naming_a_write_keyword_runs_while_a_writer_holds_the_gate_and_a_write_waits_for_it()
    {
        Task<object?> write;
        await using (var holder = _data.CreateConnection())
        {
            await holder.OpenAsync();
            await holder.EnterGateAsync(CancellationToken.None);

            await using var reader = _data.CreateConnection();
            await reader.OpenAsync();
            await using var read = reader.CreateGatedCommand();
            read.CommandText = "SELECT COUNT(*) FROM Notes WHERE Text <> 'INSERT';";
            Assert.Equal(0L, await read.ExecuteScalarAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            var writer = _data.CreateConnection();
            await writer.OpenAsync();
            var insert = writer.CreateGatedCommand();
            insert.CommandText = "INSERT INTO Notes (Text) VALUES ('after') RETURNING Id;";
            write = RunAndCloseAsync(writer, insert);
            await Task.Delay(200);
            Assert.False(write.IsCompleted, "a write must wait while another connection holds the gate");
        }

        Assert.Equal(1L, await write.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// The pragmas are set on a native connection's first open only; every later hand-out of it by
    /// the pool (sync or async, one at a time or many at once) still has them.
    /// </summary>
    [Fact]
    public async Task Every_connection_the_pool_hands_out_has_the_silo_pragmas()
    {
        async Task<(long, long, long)> PragmasAsync(bool sync)
        {
            await using var connection = _data.CreateConnection();
            if (sync)
            {
                connection.Open();
            }
            else
            {
                await connection.OpenAsync();
            }

            return (await ScalarAsync(connection, "PRAGMA busy_timeout;"), await ScalarAsync(connection, "PRAGMA synchronous;"), await ScalarAsync(connection, "PRAGMA foreign_keys;"));
        }

        var expected = (30000L, 1L, 1L); // 1 = NORMAL
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, await PragmasAsync(sync: i % 2 == 0));
        }

        foreach (var pragmas in await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => PragmasAsync(sync: i % 2 == 0)))))
        {
            Assert.Equal(expected, pragmas);
        }
    }

    private static async Task<long> ScalarAsync(GatedSqliteConnection connection, string sql)
    {
        await using var command = connection.CreateGatedCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<object?> RunAndCloseAsync(GatedSqliteConnection connection, GatedSqliteCommand command)
    {
        await using (connection)
        await using (command)
        {
            return await command.ExecuteScalarAsync();
        }
    }
}
