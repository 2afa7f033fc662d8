using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using SessionMesh.Errors;
using SessionMesh.Grains;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;
using SessionMesh.Storage;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Sessions;

/// <summary>
/// A session grain's first call that creates it writes its row without reading it first, on
/// condition that no row exists. These are the cases where one does: the session is stored but
/// not in memory (another activation made it, or the silo restarted), and it must be answered as
/// stored, never overwritten, counted twice or shadowed.
/// </summary>
public sealed class UnreadSpawnTests : IAsyncLifetime
{
    private MeshCluster _mesh = null!;

    public async Task InitializeAsync() => _mesh = await MeshCluster.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_spawn_and_a_handoff_child_write_their_rows_unread_and_a_spawn_that_attaches_a_lease_reads_first()
    {
        var storage = _mesh.Cluster.Silos[0].SiloHost.Services.GetRequiredService<SessionStateStorage>();
        var reads = storage.Reads;
        var parent = await _mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "unread", new SessionContext());
        var child = await _mesh.Sessions.HandoffAsync(parent, "ReviewAgent", new SessionContext());
        Assert.Equal(0, storage.Reads - reads);
        Assert.Equal(parent, (await _mesh.Sessions.GetSessionAsync(child)).ParentSession);

        // A lease is stored before the session is, so that spawn must know first that the session is new.
        await _mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "leased", new SessionContext(), leaseTtl: TimeSpan.FromMinutes(5));
        Assert.Equal(1, storage.Reads - reads);

        // A session not in memory is read by the first call that needs it, once.
        await ForgetSessionGrainsAsync();
        reads = storage.Reads;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Session(child).GetAsync()));
        Assert.Equal(1, storage.Reads - reads);
    }

    [Fact]
    public async Task Starting_a_stored_session_again_from_a_new_activation_answers_it_for_the_same_spawn_and_refuses_another()
    {
        var id = Guid.NewGuid();
        var spawn = new SessionSpawn { AgentName = "CodeGenAgent", Purpose = "stored", Context = new SessionContext { IssueNumber = 7 } };
        var first = await Session(id).StartAsync(spawn);

        await ForgetSessionGrainsAsync();
        Assert.Equal(first, await Session(id).StartAsync(spawn));

        await ForgetSessionGrainsAsync();
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => Session(id).StartAsync(spawn with { AgentName = "Intruder", Purpose = "overwrite" }));

        await ForgetSessionGrainsAsync();
        Assert.Equal(first, await Session(id).GetAsync());
        Assert.Equal("1", await _mesh.QueryAsync($"SELECT Version FROM SessionCatalog WHERE SessionId = '{id:N}';"));
        Assert.Equal(new SessionStats(1, 1, 0, 0, 0), await _mesh.Sessions.GetStatsAsync());

        // The activation that was refused holds the stored session, not its own attempt.
        await _mesh.Sessions.CompleteSessionAsync(id);
        Assert.Equal(("CodeGenAgent", SessionStatus.Completed), ((await Session(id).GetAsync()).AgentName, (await Session(id).GetAsync()).Status));
    }

    [Fact]
    public async Task A_handoff_naming_a_stored_session_not_in_memory_as_its_child_changes_neither()
    {
        var parent = await _mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "parent", new SessionContext());
        var other = await _mesh.Sessions.SpawnAgentSessionAsync("TestAgent", "someone else's", new SessionContext { IssueNumber = 3 });
        var before = await Session(other).GetAsync();

        await ForgetSessionGrainsAsync();
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() =>
            Session(parent).HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent", ChildSessionId = other }));

        var after = await Session(parent).GetAsync();
        Assert.Equal((SessionStatus.Active, 0), (after.Status, after.ChildSessions.Count));
        Assert.Equal(before, await Session(other).GetAsync());
        Assert.Equal("1|1", await _mesh.QueryAsync($"SELECT group_concat(Version, '|') FROM (SELECT Version FROM SessionCatalog WHERE SessionId IN ('{parent:N}', '{other:N}') ORDER BY SessionId);"));

        // The parent can still hand off, to a new child.
        var child = await _mesh.Sessions.HandoffAsync(parent, "ReviewAgent", new SessionContext());
        Assert.Equal(parent, (await Session(child).GetAsync()).ParentSession);
    }

    /// <summary>
    /// A session a build before migration 014 stored in OrleansStorage, whose catalog row was never
    /// written (that build's second write was lost): a new row under its id would hide it.
    /// </summary>
    [Fact]
    public async Task A_session_stored_only_in_the_table_before_migration_014_is_not_shadowed_by_a_new_spawn_of_its_id()
    {
        var directory = MeshCluster.NewDataDirectory();
        var id = Guid.NewGuid();
        var spawn = new SessionSpawn { AgentName = "CodeGenAgent", Purpose = "old", Context = new SessionContext { IssueNumber = 14 } };
        SessionSnapshot stored;
        await using (var old = await MeshCluster.StartAsync(directory))
        {
            stored = await old.Client.GetGrain<ISessionGrain>(id).StartAsync(spawn);
            var services = old.Cluster.Silos[0].SiloHost.Services;
            var grainId = GrainId.Create(GrainType.Create("session"), GrainIdKeyExtensions.CreateGuidKey(id));
            var state = new GrainState<SessionState>();
            await services.GetRequiredKeyedService<IGrainStorage>(MeshStorage.Sessions).ReadStateAsync(SessionStateStorage.StateName, grainId, state);
            await services.GetRequiredKeyedService<IGrainStorage>(MeshStorage.Name).WriteStateAsync(SessionStateStorage.StateName, grainId, new GrainState<SessionState>(state.State));
            await old.ExecuteSqlAsync($"DELETE FROM SessionCatalog WHERE SessionId = '{id:N}';");
        }

        await using var restarted = await MeshCluster.StartAsync(directory);
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => restarted.Client.GetGrain<ISessionGrain>(id).StartAsync(spawn with { AgentName = "Intruder" }));
        Assert.Equal(stored, await restarted.Client.GetGrain<ISessionGrain>(id).GetAsync());
        Assert.Equal(stored, await restarted.Client.GetGrain<ISessionGrain>(id).StartAsync(spawn));
    }

    private ISessionGrain Session(Guid id) => _mesh.Client.GetGrain<ISessionGrain>(id);

    /// <summary>Deactivates every idle session grain, so the next call to one starts a new activation that has read nothing.</summary>
    private async Task ForgetSessionGrainsAsync()
    {
        var management = _mesh.Client.GetGrain<IManagementGrain>(0);
        await Eventually.WaitForAsync(
            async () =>
            {
                await management.ForceActivationCollection(TimeSpan.Zero);
                var statistics = await management.GetSimpleGrainStatistics();
                return statistics.Where(s => s.GrainType.StartsWith($"{typeof(SessionGrain).FullName},", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
            },
            count => count == 0,
            30);
    }
}
