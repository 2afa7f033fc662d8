using System.Globalization;
using Npgsql;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Storage;

namespace SessionMesh.Tests.Cluster;

/// <summary>
/// The group committer on a real PostgreSQL (with the silo's data source: prepared statements, no reset on return), where a shared transaction's statements go to the
/// server in one batch (one round trip) rather than one by one. A row lock held from another
/// connection keeps the committer's one writer busy, so the writes handed in meanwhile are all
/// queued when it frees, which is what concurrency does, without depending on timing.
/// </summary>
[Trait("Category", "Postgres")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresGroupCommitTests(PostgresServer postgres)
{
    private const int Writes = 20;

    // Insert a row and answer its value; or move a row on from the value the writer last saw.
    private const string InsertSql = "INSERT INTO gc_rows (id, v) VALUES (@id, @v) RETURNING v;";
    private const string MoveSql = "UPDATE gc_rows SET v = v + 1 WHERE id = @id AND v = @expected RETURNING v;";

    [Fact]
    public async Task Writes_queued_behind_a_transaction_share_the_next_one_and_each_gets_its_own_answer()
    {
        await using var db = await OpenAsync();
        await using var committer = new GroupCommitter(db.Source, writers: 1);
        var (blocked, release) = await BlockAsync(db, committer);

        // Handed in newest id first: the batch runs them in id order, the answers still go to their writers.
        var writes = Enumerable.Range(0, Writes).Reverse()
            .Select(i => committer.ExecuteTogetherAsync([Insert($"row-{i:D2}", 100 + i)]))
            .ToArray();
        await Eventually.UntilAsync(() => committer.Queued == Writes);
        var commitsBefore = committer.Commits;
        await release();

        Assert.Equal(2, Int(Assert.Single(await blocked)));
        var answers = await Task.WhenAll(writes);
        for (var k = 0; k < Writes; k++)
        {
            Assert.Equal(100 + (Writes - 1 - k), Int(Assert.Single(answers[k])));
        }

        // The blocked write's own transaction, then one for all twenty.
        Assert.Equal(2, committer.Commits - commitsBefore);
        Assert.Equal(Writes + 1, committer.HandedIn);
        Assert.Equal(0, committer.RolledBack);
        Assert.Equal(Writes.ToString(CultureInfo.InvariantCulture), await db.ScalarAsync("SELECT COUNT(*) FROM gc_rows WHERE id LIKE 'row-%';"));
    }

    [Fact]
    public async Task A_write_of_two_statements_that_does_not_hold_in_a_shared_transaction_stores_neither_and_the_others_commit()
    {
        await using var db = await OpenAsync();
        await db.ExecuteAsync("INSERT INTO gc_rows (id, v) VALUES ('parent-ok', 1), ('parent-stale', 5);");
        await using var committer = new GroupCommitter(db.Source, writers: 1);
        var (blocked, release) = await BlockAsync(db, committer);

        var inserts = Enumerable.Range(0, Writes).Select(i => committer.ExecuteTogetherAsync([Insert($"row-{i:D2}", i)])).ToArray();
        // A child and its parent's move, together: one parent is where its writer thinks, one has moved on.
        var holds = committer.ExecuteTogetherAsync([Insert("child-ok", 1), Move("parent-ok", expected: 1)]);
        var fails = committer.ExecuteTogetherAsync([Insert("child-stale", 1), Move("parent-stale", expected: 4)]);
        await Eventually.UntilAsync(() => committer.Queued == Writes + 2);
        await release();
        await blocked;

        Assert.All(await Task.WhenAll(inserts), a => Assert.NotNull(Assert.Single(a)));
        var held = await holds;
        Assert.Equal(new[] { 1, 2 }, held.Select(Int).ToArray());

        // Its answers say which statement returned no row; neither of its statements was kept.
        var failed = await fails;
        Assert.NotNull(failed[0]);
        Assert.True(failed[1] is null or DBNull);
        Assert.Equal("0", await db.ScalarAsync("SELECT COUNT(*) FROM gc_rows WHERE id = 'child-stale';"));
        Assert.Equal("5", await db.ScalarAsync("SELECT v FROM gc_rows WHERE id = 'parent-stale';"));
        Assert.Equal("2", await db.ScalarAsync("SELECT v FROM gc_rows WHERE id = 'parent-ok';"));
        Assert.Equal("1", await db.ScalarAsync("SELECT COUNT(*) FROM gc_rows WHERE id = 'child-ok';"));
        Assert.Equal(Writes.ToString(CultureInfo.InvariantCulture), await db.ScalarAsync("SELECT COUNT(*) FROM gc_rows WHERE id LIKE 'row-%';"));

        // The shared transaction was rolled back once, and every write ran again on its own.
        Assert.Equal(1, committer.RolledBack);
    }

    [Fact]
    public async Task A_connection_returned_to_the_pool_without_a_reset_leaves_no_transaction_open()
    {
        // One pooled connection, so the second use is the first one's connection again.
        await using var db = await OpenAsync(pool: 1);
        await using (var first = await db.Source.OpenConnectionAsync())
        {
            await using var transaction = await first.BeginTransactionAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO gc_rows (id, v) VALUES ('left-open', 1);", first, transaction);
            await insert.ExecuteNonQueryAsync();

            // Closed with the transaction neither committed nor disposed.
            await first.CloseAsync();
        }

        await using var second = await db.Source.OpenConnectionAsync();
        // Still inside the first use's transaction, this would see its own insert.
        await using var check = new NpgsqlCommand("SELECT COUNT(*) FROM gc_rows WHERE id = 'left-open';", second);
        Assert.Equal(0L, await check.ExecuteScalarAsync());
    }

    private static int Int(object? answer) => Convert.ToInt32(answer, CultureInfo.InvariantCulture);

    private static GroupCommitter.Statement Insert(string id, int value) => new(InsertSql, id, [("id", id), ("v", value)]);

    private static GroupCommitter.Statement Move(string id, int expected) => new(MoveSql, id, [("id", id), ("expected", expected)]);

    /// <summary>
    /// Locks a row from another connection and hands the committer a write to it, which its one
    /// writer then waits on; the returned release commits the lock's transaction.
    /// </summary>
    private static async Task<(Task<object?[]> Blocked, Func<Task> Release)> BlockAsync(Database db, GroupCommitter committer)
    {
        await db.ExecuteAsync("INSERT INTO gc_rows (id, v) VALUES ('blocker', 1);");
        var holder = await db.Source.OpenConnectionAsync();
        var transaction = await holder.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT v FROM gc_rows WHERE id = 'blocker' FOR UPDATE;", holder, transaction))
        {
            await command.ExecuteScalarAsync();
        }

        var blocked = committer.ExecuteTogetherAsync([Move("blocker", expected: 1)]);
        await Eventually.UntilAsync(() => committer.Pending == 1 && committer.Queued == 0);
        return (blocked, async () =>
        {
            await transaction.CommitAsync();
            await holder.DisposeAsync();
        });
    }

    private async Task<Database> OpenAsync(int pool = 10)
    {
        var connection = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync()) { MaxPoolSize = pool }.ConnectionString;
        var source = MeshStorageExtensions.CreatePostgresDataSource(connection);
        var db = new Database(source);
        await db.ExecuteAsync("CREATE TABLE gc_rows (id varchar(40) PRIMARY KEY, v integer NOT NULL);");
        return db;
    }

    private sealed class Database(NpgsqlDataSource source) : IAsyncDisposable
    {
        public NpgsqlDataSource Source => source;

        public async Task ExecuteAsync(string sql)
        {
            await using var command = source.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }

        public async Task<string?> ScalarAsync(string sql)
        {
            await using var command = source.CreateCommand(sql);
            return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        public ValueTask DisposeAsync() => source.DisposeAsync();
    }
}
