using SessionMesh.Storage;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>
/// The schema the storage project carries, checked where a mistake would otherwise show only at
/// run time: migrations present and numbered, every query text the Orleans providers read present,
/// and a database that lacks one refused at start, naming it.
/// </summary>
public sealed class SchemaTests
{
    [Theory]
    [InlineData(SqlDialect.Sqlite)]
    [InlineData(SqlDialect.Postgres)]
    public void Each_dialect_carries_numbered_migrations_and_every_query_its_providers_read(SqlDialect dialect)
    {
        var migrations = SchemaScripts.Migrations(dialect);
        Assert.NotEmpty(migrations);
        Assert.Equal(migrations.Select(m => m.Version).Distinct().Order(), migrations.Select(m => m.Version));
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql), $"migration {m.Version} is empty"));

        var queries = SchemaScripts.Queries(dialect).Select(q => q.Key).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(queries, SchemaScripts.RequiredQueryKeys(dialect).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// A trigger (real SQL, as a broken deployment or a hand edit would leave it) makes the
    /// reminder provider's read-rows text vanish as soon as it is written: the silo must not start
    /// and then fail its first reminder; it stops at start naming the missing key.
    /// </summary>
    [Fact]
    public async Task A_database_without_a_query_text_a_provider_reads_stops_the_start_naming_it()
    {
        var directory = MeshCluster.NewDataDirectory();
        await using (await MeshCluster.StartAsync(directory))
        {
        }

        await MeshCluster.ExecuteSqlAsync(directory, """
            DELETE FROM OrleansQuery WHERE QueryKey = 'ReadReminderRowsKey';
            CREATE TRIGGER test_lose_query AFTER INSERT ON OrleansQuery
            WHEN NEW.QueryKey = 'ReadReminderRowsKey'
            BEGIN DELETE FROM OrleansQuery WHERE QueryKey = NEW.QueryKey; END;
            """);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => MeshCluster.StartAsync(directory));
        Assert.Contains("no OrleansQuery text for ReadReminderRowsKey", Flatten(error), StringComparison.Ordinal);

        // Nothing stored was harmed: without the trigger the next start restores the text and runs.
        await MeshCluster.ExecuteSqlAsync(directory, "DROP TRIGGER test_lose_query;");
        await using var repaired = await MeshCluster.StartAsync(directory);
        Assert.Equal("1", await repaired.QueryAsync("SELECT COUNT(*) FROM OrleansQuery WHERE QueryKey = 'ReadReminderRowsKey';"));
    }

    /// <summary>
    /// Every session status has its counter row, seeded from the enum at start: a row missing (as
    /// for a status added to the enum after the table was made) is there after the next start, and
    /// the counts the stats read stay right.
    /// </summary>
    [Fact]
    public async Task Every_session_status_has_a_counter_row_seeded_from_the_enum_at_start()
    {
        var directory = MeshCluster.NewDataDirectory();
        var all = string.Join(",", Enum.GetValues<SessionMesh.Sessions.SessionStatus>().Select(s => (int)s));
        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            Assert.Equal(all, await mesh.QueryAsync("SELECT group_concat(Status, ',') FROM (SELECT Status FROM SessionCounters ORDER BY Status);"));
            await mesh.Sessions.SpawnAgentSessionAsync("Counted", "p", new SessionMesh.Sessions.SessionContext());
        }

        var failed = (int)SessionMesh.Sessions.SessionStatus.Failed;
        await MeshCluster.ExecuteSqlAsync(directory, $"DELETE FROM SessionCounters WHERE Status = {failed};");
        await using var restarted = await MeshCluster.StartAsync(directory);
        Assert.Equal(all, await restarted.QueryAsync("SELECT group_concat(Status, ',') FROM (SELECT Status FROM SessionCounters ORDER BY Status);"));
        Assert.Equal(new SessionMesh.Sessions.SessionStats(1, 1, 0, 0, 0), await restarted.Sessions.GetStatsAsync());
    }

    private static string Flatten(Exception error) =>
        error is AggregateException aggregate
            ? string.Join(" | ", aggregate.Flatten().InnerExceptions.Select(Flatten))
            : error.InnerException is null ? error.Message : $"{error.Message} | {Flatten(error.InnerException)}";
}
