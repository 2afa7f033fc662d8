using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Errors;
using SessionMesh.Grains;
using SessionMesh.Grains.Sessions;
using SessionMesh.Storage;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>What survives a silo restart on the same SQLite file, and what a half-done write leaves.</summary>
public sealed class DurabilityTests
{
    private static SessionContext Context(Phase phase, params AgentResult[] results) =>
        new() { IssueNumber = 42, CurrentPhase = phase, PreviousResults = results };

    [Fact]
    public async Task Sessions_lineage_and_stats_survive_a_silo_restart()
    {
        var directory = MeshCluster.NewDataDirectory();
        Guid codegen, review, test, failed;
        SessionStats statsBefore;
        var results = new AgentResult[]
        {
            new IssueAnalysisResult("high", TimeSpan.FromHours(2)),
            new TaskDecompositionResult(["parse", "emit"]),
            new CodeGenerationResult(0.8, 5),
        };

        await using (var first = await MeshCluster.StartAsync(directory))
        {
            codegen = await first.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "restart", Context(Phase.CodeGeneration, results));
            review = await first.Sessions.HandoffAsync(codegen, "ReviewAgent", Context(Phase.Review, new ReviewResult(9.1, 0)));
            test = await first.Sessions.HandoffAsync(review, "TestAgent", Context(Phase.Test));
            await first.Sessions.CompleteSessionAsync(test);
            failed = await first.Sessions.SpawnAgentSessionAsync("DeployAgent", "restart", Context(Phase.Merge));
            await first.Sessions.FailSessionAsync(failed, "no credentials");
            statsBefore = await first.Sessions.GetStatsAsync();
        }

        await using var second = await MeshCluster.StartAsync(directory);
        Assert.Equal(statsBefore, await second.Sessions.GetStatsAsync());
        Assert.Equal(new SessionStats(4, 0, 2, 1, 1), statsBefore);

        var lineage = await second.Sessions.GetSessionLineageAsync(test);
        Assert.Equal([codegen, review, test], lineage.Select(s => s.Id));
        Assert.Equal([SessionStatus.HandedOff, SessionStatus.HandedOff, SessionStatus.Completed], lineage.Select(s => s.Status));
        Assert.Equal<AgentResult>([.. results, new ReviewResult(9.1, 0)], lineage[^1].Context.PreviousResults);

        var broken = await second.Sessions.GetSessionAsync(failed);
        Assert.Equal("no credentials", broken.Error);
        var all = await second.Sessions.ListSessionsAsync(null, limit: 10);
        Assert.Equal([failed, test, review, codegen], all.Sessions.Select(s => s.Id).ToList());

        // Rules still hold on reloaded state.
        await Assert.ThrowsAsync<InvalidTransitionException>(() => second.Sessions.HandoffAsync(review, "Other", Context(Phase.Test)));
    }

    [Fact]
    public async Task A_session_stored_before_migration_014_is_read_moved_into_its_catalog_row_and_counted_once()
    {
        var directory = MeshCluster.NewDataDirectory();
        Guid ended, running;
        await using (var first = await MeshCluster.StartAsync(directory))
        {
            ended = await first.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "old", Context(Phase.CodeGeneration));
            await first.Sessions.CompleteSessionAsync(ended);
            running = await first.Sessions.SpawnAgentSessionAsync("ReviewAgent", "old", Context(Phase.Review));

            // Lay both out as a build before migration 014 left them: state in OrleansStorage, written by
            // the ADO.NET provider, and a catalog row without state; the ended one's row is behind (a crash
            // between that build's two writes).
            var services = first.Cluster.Silos[0].SiloHost.Services;
            var current = services.GetRequiredKeyedService<IGrainStorage>(MeshStorage.Sessions);
            var legacy = services.GetRequiredKeyedService<IGrainStorage>(MeshStorage.Name);
            foreach (var id in new[] { ended, running })
            {
                var grainId = GrainId.Create(GrainType.Create("session"), GrainIdKeyExtensions.CreateGuidKey(id));
                var stored = new GrainState<SessionState>();
                await current.ReadStateAsync(SessionStateStorage.StateName, grainId, stored);
                await legacy.WriteStateAsync(SessionStateStorage.StateName, grainId, new GrainState<SessionState>(stored.State));
            }

            await first.ExecuteSqlAsync($"""
                UPDATE SessionCatalog SET Payload = NULL, Version = NULL;
                UPDATE SessionCatalog SET Status = {(int)SessionStatus.Active} WHERE SessionId = '{ended:N}';
                """);
        }

        await using var second = await MeshCluster.StartAsync(directory);
        Assert.Equal(new SessionStats(2, 2, 0, 0, 0), await second.Sessions.GetStatsAsync());

        // Read: the state comes from the old table and the catalog row catches up with it.
        Assert.Equal(SessionStatus.Completed, (await second.Sessions.GetSessionAsync(ended)).Status);
        await second.Sessions.CompleteSessionAsync(running);
        Assert.Equal(new SessionStats(2, 0, 0, 2, 0), await second.Sessions.GetStatsAsync());
        Assert.Equal("0|2:1,2:2", await second.QueryAsync("""
            SELECT (SELECT COUNT(*) FROM OrleansStorage WHERE GrainTypeString = 'session' AND PayloadBinary IS NOT NULL) || '|' ||
                   (SELECT group_concat(Status || ':' || Version, ',') FROM (SELECT Status, Version FROM SessionCatalog WHERE Payload IS NOT NULL ORDER BY Version))
            """));
    }

    [Fact]
    public async Task A_spawn_and_each_later_state_change_of_a_session_is_one_write_and_a_handoff_one_transaction()
    {
        // Every write of a session's state, in either table it may live in (other grains' rows, such
        // as the stream rendezvous the silo writes at start, are not this session's).
        await using var mesh = await MeshCluster.StartAsync();
        await mesh.ExecuteSqlAsync("""
            CREATE TABLE test_writes (n INTEGER NOT NULL);
            INSERT INTO test_writes VALUES (0);
            CREATE TRIGGER test_count_state_insert AFTER INSERT ON OrleansStorage WHEN NEW.GrainTypeString = 'session' BEGIN UPDATE test_writes SET n = n + 1; END;
            CREATE TRIGGER test_count_state_update AFTER UPDATE ON OrleansStorage WHEN NEW.GrainTypeString = 'session' BEGIN UPDATE test_writes SET n = n + 1; END;
            CREATE TRIGGER test_count_session_insert AFTER INSERT ON SessionCatalog BEGIN UPDATE test_writes SET n = n + 1; END;
            CREATE TRIGGER test_count_session_update AFTER UPDATE ON SessionCatalog BEGIN UPDATE test_writes SET n = n + 1; END;
            """);

        var id = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "one write", Context(Phase.CodeGeneration));
        Assert.Equal("1", await mesh.QueryAsync("SELECT n FROM test_writes"));
        await mesh.Sessions.CompleteSessionAsync(id);
        Assert.Equal("2", await mesh.QueryAsync("SELECT n FROM test_writes"));

        // A handoff: the child's row and the parent's HandedOff, in one transaction — and no reminder row.
        var parent = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "handoff", Context(Phase.CodeGeneration));
        var committer = mesh.Cluster.Silos[0].SiloHost.Services.GetRequiredService<GroupCommitter>();
        var transactions = committer.Commits;
        var childId = await mesh.Sessions.HandoffAsync(parent, "ReviewAgent", Context(Phase.Review));
        Assert.Equal(1, committer.Commits - transactions);

        // The parent's state travels with the child's write but is not stored in the child's row.
        var serializer = mesh.Cluster.Silos[0].SiloHost.Services.GetRequiredService<Serializer>();
        var stored = Assert.IsType<SessionState>(serializer.Deserialize<SessionState>(Convert.FromHexString(await mesh.QueryAsync($"SELECT hex(Payload) FROM SessionCatalog WHERE SessionId = '{childId:N}';"))));
        Assert.Equal(childId, stored.Session?.Id);
        Assert.Equal([parent], stored.Ancestry);
        Assert.Null(stored.WrittenWith);
        Assert.Equal("5", await mesh.QueryAsync("SELECT n FROM test_writes"));
        Assert.Equal("0", await mesh.QueryAsync("SELECT COUNT(*) FROM OrleansRemindersTable"));
        Assert.Equal(new SessionStats(3, 1, 1, 1, 0), await mesh.Sessions.GetStatsAsync());
    }

    [Fact]
    public async Task A_handoff_whose_child_cannot_be_stored_leaves_the_parent_active()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var before = await mesh.Sessions.GetStatsAsync();

        // Real storage failure: every new grain-state row is refused while this trigger exists.
        await mesh.ExecuteSqlAsync("""
            CREATE TRIGGER test_refuse_new_state BEFORE INSERT ON SessionCatalog
            BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END;
            """);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => mesh.Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review)));
        await mesh.ExecuteSqlAsync("DROP TRIGGER test_refuse_new_state;");

        var parent = await mesh.Sessions.GetSessionAsync(parentId);
        Assert.Equal(SessionStatus.Active, parent.Status);
        Assert.Empty(parent.ChildSessions);
        Assert.Null(parent.HandoffTo);
        Assert.Equal(before, await mesh.Sessions.GetStatsAsync());

        // And the session is not stuck: the next handoff goes through.
        var child = await mesh.Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review));
        Assert.Equal(parentId, (await mesh.Sessions.GetSessionAsync(child)).ParentSession);
    }

    [Fact]
    public async Task A_handoff_the_parent_cannot_record_stores_no_child()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var before = await mesh.Sessions.GetStatsAsync();

        // The child's row would be inserted fine; only the parent's update, in the same transaction, is refused.
        await mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER test_refuse_parent_update BEFORE UPDATE ON SessionCatalog
            WHEN OLD.SessionId = '{parentId:N}'
            BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
            """);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => mesh.Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review)));
        await mesh.ExecuteSqlAsync("DROP TRIGGER test_refuse_parent_update;");

        var parent = await mesh.Sessions.GetSessionAsync(parentId);
        Assert.Equal(SessionStatus.Active, parent.Status);
        Assert.Empty(parent.ChildSessions);
        Assert.Equal(before, await mesh.Sessions.GetStatsAsync());
        var active = await mesh.Sessions.ListActiveSessionsAsync(limit: 10);
        Assert.Equal([parentId], active.Sessions.Select(s => s.Id));
        Assert.Equal("1", await mesh.QueryAsync("SELECT COUNT(*) FROM SessionCatalog"));

        var child = await mesh.Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review));
        Assert.Equal([child], (await mesh.Sessions.GetSessionAsync(parentId)).ChildSessions);
    }
}
