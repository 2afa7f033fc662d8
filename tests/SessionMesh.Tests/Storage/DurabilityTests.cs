using SessionMesh.Errors;
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
    public async Task A_catalog_row_lost_between_the_two_writes_is_restored_when_the_session_activates()
    {
        var directory = MeshCluster.NewDataDirectory();
        Guid id;
        await using (var first = await MeshCluster.StartAsync(directory))
        {
            id = await first.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "reconcile", Context(Phase.CodeGeneration));
            await first.Sessions.CompleteSessionAsync(id);
        }

        // Simulate a crash after the state write but before the catalog write.
        await MeshCluster.ExecuteSqlAsync(directory, "DELETE FROM SessionCatalog;");

        await using var second = await MeshCluster.StartAsync(directory);
        Assert.Equal(new SessionStats(0, 0, 0, 0, 0), await second.Sessions.GetStatsAsync());
        Assert.Equal(SessionStatus.Completed, (await second.Sessions.GetSessionAsync(id)).Status);
        Assert.Equal(new SessionStats(1, 0, 0, 1, 0), await second.Sessions.GetStatsAsync());
    }

    [Fact]
    public async Task A_handoff_whose_child_cannot_be_stored_leaves_the_parent_active()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var before = await mesh.Sessions.GetStatsAsync();

        // Real storage failure: every new grain-state row is refused while this trigger exists.
        await mesh.ExecuteSqlAsync("""
            CREATE TRIGGER test_refuse_new_state BEFORE INSERT ON OrleansStorage
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
    public async Task A_handoff_the_parent_cannot_record_retracts_the_child_it_created()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var before = await mesh.Sessions.GetStatsAsync();

        // The child's row is inserted fine; only the parent's own update is refused.
        var key = parentId.ToByteArray();
        await mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER test_refuse_parent_update BEFORE UPDATE ON OrleansStorage
            WHEN OLD.GrainIdN0 = {BitConverter.ToInt64(key, 0)} AND OLD.GrainIdN1 = {BitConverter.ToInt64(key, 8)}
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

        var child = await mesh.Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review));
        Assert.Equal([child], (await mesh.Sessions.GetSessionAsync(parentId)).ChildSessions);
    }
}
