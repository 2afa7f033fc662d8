using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Errors;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Storage;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Liveness;

[Collection(SteppedClockCollection.Name)]
public sealed class LivenessTests(SessionClusterFixture fixture)
{
    /// <summary>A TTL of mesh time, stepped past in one call; far longer than any stall of a busy machine.</summary>
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    // Once the clock is past a lease's expiry, the shard's next tick (real time, a fraction of a
    // second) finds it; a busy test process may delay that tick: the tests wait this long at most.
    private static readonly double ExpiryPatience = 30;

    private MeshCluster Mesh => fixture.Mesh;

    private SteppingClock Clock => fixture.Clock;

    /// <summary>
    /// A session spawned without a lease (written unread) gets one from its first heartbeat;
    /// whichever call ends the session, the lease goes with it at once, not after its TTL.
    /// </summary>
    [Theory]
    [InlineData("complete")]
    [InlineData("fail")]
    [InlineData("handoff")]
    public async Task A_lease_a_heartbeat_began_after_a_spawn_without_one_is_released_when_the_session_ends(string end)
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("LateLease", "p", new SessionContext());
        var key = LeaseKey.ForSession(id);
        var shard = LivenessShards.For(Mesh.Client, key);
        await Mesh.Agents.HeartbeatSessionAsync(id, ttl: TimeSpan.FromMinutes(10));
        Assert.NotNull(await shard.GetAsync(key));

        await (end switch
        {
            "complete" => Mesh.Sessions.CompleteSessionAsync(id),
            "fail" => Mesh.Sessions.FailSessionAsync(id, "broken"),
            _ => Mesh.Sessions.HandoffAsync(id, "ReviewAgent", new SessionContext()),
        });
        Assert.Null(await Eventually.WaitForAsync(() => shard.GetAsync(key), l => l is null));
    }

    [Fact]
    public async Task A_session_that_never_heartbeats_holds_no_lease_and_never_expires()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Quiet", "p", new SessionContext());
        var key = LeaseKey.ForSession(id);
        Assert.Null(await LivenessShards.For(Mesh.Client, key).GetAsync(key));

        var active = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Active, Limit = 500 });
        Assert.Contains(active.Sessions, s => s.Session.Id == id && s.Lease is null);
        Assert.DoesNotContain(await AllAsync(DiscoveryFilter.Alive), s => s.Session.Id == id);
        Assert.DoesNotContain(await AllAsync(DiscoveryFilter.Stale), s => s.Session.Id == id);
    }

    /// <summary>
    /// On a mesh clock the test moves (its own cluster): a 10-minute lease is alive, then stale past
    /// half its TTL, then expired by the shard's own timer. Real time only has to be shorter than
    /// minutes, so a loaded machine cannot skip the stale window (with a 10 s TTL on the wall clock,
    /// one run in twenty observed the lease first after it had already expired).
    /// </summary>
    [Fact]
    public async Task A_heartbeat_makes_a_session_alive_then_stale_then_expired_without_any_call()
    {
        var clock = new SteppingClock();
        await using var mesh = await MeshCluster.StartAsync(clock: clock);
        var ttl = TimeSpan.FromMinutes(10);
        var id = await mesh.Sessions.SpawnAgentSessionAsync("Beating", "p", new SessionContext());
        var lease = await mesh.Agents.HeartbeatSessionAsync(id, ttl: ttl);
        Assert.Equal(LeaseHealth.Alive, lease.Health);
        Assert.Equal(lease.LastHeartbeat + ttl, lease.ExpiresAt);
        Assert.Contains(await AllAsync(mesh, DiscoveryFilter.Alive), s => s.Session.Id == id);

        // Past half the TTL with no heartbeat: overdue, not yet expired.
        clock.Advance(TimeSpan.FromMinutes(6));
        var key = LeaseKey.ForSession(id);
        Assert.Equal(LeaseHealth.Stale, (await LivenessShards.For(mesh.Client, key).GetAsync(key))?.Health);
        Assert.Contains(await AllAsync(mesh, DiscoveryFilter.Stale), s => s.Session.Id == id);
        Assert.DoesNotContain(await AllAsync(mesh, DiscoveryFilter.Alive), s => s.Session.Id == id);
        Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(id)).Status);

        // Past the TTL: nothing renews the lease, and the shard's own timer must find the expiry.
        clock.Advance(TimeSpan.FromMinutes(5));
        var expired = await Eventually.WaitForAsync(() => mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, ExpiryPatience);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (expired.Status, expired.Error));
        var stats = await mesh.Agents.GetStatsAsync();
        Assert.Equal(1, stats.SessionsExpired);
        Assert.Equal(1, stats.Sessions.Failed);
        Assert.Null(await LivenessShards.For(mesh.Client, key).GetAsync(key));
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive_past_its_ttl()
    {
        // Twelve beats a sixth of the TTL apart outlive the TTL twice; one more gap of a whole TTL ends it.
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Steady", "p", new SessionContext(), leaseTtl: Ttl);
        for (var i = 0; i < 12; i++)
        {
            Clock.Advance(Ttl / 6);
            await Mesh.Agents.HeartbeatSessionAsync(id);
        }

        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(id)).Status);
        var key = LeaseKey.ForSession(id);
        Assert.Equal(LeaseHealth.Alive, (await LivenessShards.For(Mesh.Client, key).GetAsync(key))?.Health);

        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var expired = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, ExpiryPatience);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (expired.Status, expired.Error));
    }

    [Fact]
    public async Task A_ttl_given_at_spawn_starts_the_lease_at_once()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Leased", "p", new SessionContext(), leaseTtl: Ttl);
        var key = LeaseKey.ForSession(id);
        var lease = await Eventually.WaitForAsync(() => LivenessShards.For(Mesh.Client, key).GetAsync(key), l => l is not null);
        Assert.Equal(Ttl, lease!.Ttl);
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var expired = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, ExpiryPatience);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (expired.Status, expired.Error));
    }

    /// <summary>
    /// A session that cannot record its failure when its lease runs out (storage refuses the write)
    /// keeps its lease, stored and tracked, and fails once storage is back. Before, the refusal (a
    /// typed mesh error) was taken for "the owner already ended": the lease and its row were dropped
    /// and the session stayed Active forever, with nothing left that could expire it.
    /// </summary>
    [Fact]
    public async Task A_lease_whose_owner_cannot_record_its_expiry_is_kept_and_expired_once_storage_is_back()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Unlucky", "p", new SessionContext());
        await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);
        var key = LeaseKey.ForSession(id);
        var shard = LivenessShards.For(Mesh.Client, key);
        var deadline = (await shard.GetAsync(key))!.ExpiresAt;
        var trigger = $"test_refuse_expiry_{id:N}";
        await Mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER {trigger} BEFORE UPDATE ON SessionCatalog
            WHEN OLD.SessionId = '{id:N}'
            BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
            """);
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));

        // Tried and refused: the lease is tracked again (due shortly) and its row is still there.
        var retried = await Eventually.WaitForAsync(() => shard.GetAsync(key), l => l is null || l.ExpiresAt != deadline, ExpiryPatience);
        Assert.NotNull(retried);
        Assert.Equal("1", await Mesh.QueryAsync($"SELECT COUNT(*) FROM Leases WHERE Id = '{id:N}'"));
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(id)).Status);

        await Mesh.ExecuteSqlAsync($"DROP TRIGGER {trigger};");
        var expired = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, ExpiryPatience);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (expired.Status, expired.Error));
        await Eventually.WaitForAsync(() => Mesh.QueryAsync($"SELECT COUNT(*) FROM Leases WHERE Id = '{id:N}'"), n => n == "0", ExpiryPatience);
        Assert.Null(await shard.GetAsync(key));
    }

    /// <summary>
    /// A spawn that asks for a lease answers only once the lease is stored, and the lease is stored
    /// before the session. Storage refusing the lease's row fails the spawn and leaves no session.
    /// Before, the lease was started by a one-way call after the session's write: the refusal (or a
    /// silo dying in between) went unseen and the session stayed Active forever.
    /// </summary>
    [Fact]
    public async Task A_spawn_with_a_lease_ttl_answers_once_its_lease_is_stored_and_a_refused_lease_leaves_no_session()
    {
        var id = Guid.NewGuid();
        var spawn = new SessionSpawn { AgentName = "Leased", Purpose = "p", LeaseTtl = Ttl };
        var session = Mesh.Client.GetGrain<ISessionGrain>(id);
        await RefuseLeaseRowAsync(id.ToString("N"), async () =>
        {
            await Assert.ThrowsAsync<StorageUnavailableException>(() => session.StartAsync(spawn));
            await Assert.ThrowsAsync<SessionNotFoundException>(() => Mesh.Sessions.GetSessionAsync(id));
        });

        Assert.Equal(SessionStatus.Active, (await session.StartAsync(spawn)).Status);
        Assert.Equal("1", await Mesh.QueryAsync($"SELECT COUNT(*) FROM Leases WHERE Id = '{id:N}'"));
        var key = LeaseKey.ForSession(id);
        Assert.Equal(Ttl, (await LivenessShards.For(Mesh.Client, key).GetAsync(key))?.Ttl);

        // Never heartbeated: it runs out one TTL after the spawn.
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var expired = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, ExpiryPatience);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (expired.Status, expired.Error));
    }

    /// <summary>The same for an agent registered with a lease: "registered" means its lease is stored.</summary>
    [Fact]
    public async Task A_registration_with_a_lease_ttl_answers_once_its_lease_is_stored()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await RefuseLeaseRowAsync(agentId, () => Assert.ThrowsAsync<StorageUnavailableException>(() => Mesh.Agents.RegisterAsync(agentId, "scouting", leaseTtl: Ttl)));

        // The retry the caller makes after the error finds the agent registered and stores its lease.
        await Mesh.Agents.RegisterAsync(agentId, "scouting", leaseTtl: Ttl);
        Assert.Equal("1", await Mesh.QueryAsync($"SELECT COUNT(*) FROM Leases WHERE Id = '{agentId}'"));
        var key = LeaseKey.ForAgent(agentId);
        Assert.Equal(Ttl, (await LivenessShards.For(Mesh.Client, key).GetAsync(key))?.Ttl);
    }

    /// <summary>
    /// An agent registering again (with a lease) while its old lease's expiry waits on it: the shard
    /// starts the new lease in between (the call interleaves), and the expiry, once the agent
    /// answered, must leave the new lease's row alone. The silo's SQLite write gate is held so the
    /// registration is parked inside the agent when the expiry reaches it.
    /// </summary>
    [Fact]
    public async Task A_lease_started_again_while_its_expiry_waits_on_the_owner_keeps_its_row()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await Mesh.Agents.RegisterAsync(agentId, "scouting", leaseTtl: Ttl);
        var key = LeaseKey.ForAgent(agentId);
        var shard = LivenessShards.For(Mesh.Client, key);
        var services = Mesh.Cluster.Silos[0].SiloHost.Services;
        var gate = Assert.IsType<GatedSqliteDataSource>(services.GetRequiredService<DbDataSource>()).WriteGate;

        Task registeredAgain;
        using (await gate.EnterAsync(CancellationToken.None))
        {
            // A new display name makes the registration write, so it waits on the gate inside the agent.
            registeredAgain = Mesh.Agents.RegisterAsync(agentId, "scouting", displayName: "again", leaseTtl: Ttl);
            await Task.Delay(500);
            Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
            await Task.Delay(1000); // a few shard ticks: the expiry now waits on the agent
        }

        await registeredAgain;

        // A read of the shard is served after the expiry's turn (which ends with its row decision).
        // Had the expiry not started by the time the registration reached the shard, the lease was
        // renewed instead: the same outcome, tracked and stored.
        Assert.NotNull(await shard.GetAsync(key));
        Assert.Equal("1", await Mesh.QueryAsync($"SELECT COUNT(*) FROM Leases WHERE Id = '{agentId}'"));
    }

    /// <summary>Runs <paramref name="body"/> while a real trigger refuses the lease row of <paramref name="id"/>.</summary>
    private async Task RefuseLeaseRowAsync(string id, Func<Task> body)
    {
        var trigger = $"test_refuse_lease_{Guid.NewGuid():N}";
        await Mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER {trigger} BEFORE INSERT ON Leases
            WHEN NEW.Id = '{id}'
            BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END;
            """);
        try
        {
            await body();
        }
        finally
        {
            await Mesh.ExecuteSqlAsync($"DROP TRIGGER {trigger};");
        }
    }

    [Fact]
    public async Task A_lost_agent_comes_back_with_its_current_epoch()
    {
        var before = await Mesh.Agents.GetStatsAsync();
        var agentId = $"agent-{Guid.NewGuid():N}";
        await Mesh.Agents.RegisterAsync(agentId, "scouting", leaseTtl: Ttl);
        Clock.Advance(Ttl + TimeSpan.FromSeconds(1));

        var lost = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status != AgentStatus.Idle, ExpiryPatience);
        Assert.Equal(AgentStatus.Lost, lost.Status);
        // At least this one: the cluster is shared, and another test's lease may run out meanwhile.
        Assert.True((await Mesh.Agents.GetStatsAsync()).AgentsLost >= before.AgentsLost + 1);

        await Assert.ThrowsAsync<StaleEpochException>(() => Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 7));
        await Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: lost.Epoch, ttl: TimeSpan.FromMinutes(1));
        Assert.Equal(AgentStatus.Idle, (await Mesh.Agents.GetAgentAsync(agentId)).Status);
    }

    [Fact]
    public async Task A_heartbeat_writes_nothing_to_the_database()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await Mesh.Agents.RegisterAsync(agentId, "scouting");
        await Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 1);
        var before = await DatabaseFingerprintAsync();

        for (var i = 0; i < 50; i++)
        {
            await Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 1);
        }

        Assert.Equal(before, await DatabaseFingerprintAsync());
    }

    [Fact]
    public void Leases_spread_over_every_shard_by_a_hash_that_never_changes()
    {
        var shards = Enumerable.Range(0, 2000).Select(_ => LeaseKey.ForSession(Guid.NewGuid()).Shard).ToHashSet();
        Assert.Equal(LivenessShards.Count, shards.Count);

        // Stored leases are reloaded by shard number: the hash must be the same in every process and
        // every release, so these values are pinned (FNV-1a over kind and id).
        Assert.Equal(12, LeaseKey.ForAgent("123").Shard);
        Assert.Equal(5, LeaseKey.ForAgent("agent-7").Shard);
        Assert.Equal(5, LeaseKey.ForSession(Guid.Empty).Shard);
    }

    [Fact]
    public async Task Discovery_narrows_by_agent_and_by_specialization()
    {
        var spec = $"spec-{Guid.NewGuid():N}";
        var a = $"agent-a-{Guid.NewGuid():N}";
        var b = $"agent-b-{Guid.NewGuid():N}";
        await Mesh.Agents.RegisterAsync(a, spec);
        await Mesh.Agents.RegisterAsync(b, $"other-{spec}");
        var sa = await Mesh.Sessions.SpawnAgentSessionAsync("A", "p", new SessionContext(), agentId: a);
        var sb = await Mesh.Sessions.SpawnAgentSessionAsync("B", "p", new SessionContext(), agentId: b);
        var sa2 = await Mesh.Sessions.SpawnAgentSessionAsync("A", "p", new SessionContext(), agentId: a);
        await Mesh.Agents.HeartbeatSessionAsync(sa2, agentEpoch: 1, ttl: TimeSpan.FromMinutes(1));

        var byAgent = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Active, AgentId = a });
        Assert.Equal([sa2, sa], byAgent.Sessions.Select(s => s.Session.Id));
        var bySpec = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.All, Specialization = spec });
        Assert.Equal([sa2, sa], bySpec.Sessions.Select(s => s.Session.Id));
        var aliveBySpec = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Specialization = spec });
        Assert.Equal([sa2], aliveBySpec.Sessions.Select(s => s.Session.Id));
        Assert.NotNull(aliveBySpec.Sessions[0].Lease);
        var paged = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Active, AgentId = a, Limit = 1 });
        var rest = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Active, AgentId = a, Limit = 1, Cursor = paged.NextCursor });
        Assert.Equal([sa2, sa], paged.Sessions.Concat(rest.Sessions).Select(s => s.Session.Id));
        Assert.Null(rest.NextCursor);
        Assert.DoesNotContain(sb, bySpec.Sessions.Select(s => s.Session.Id));
        await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Agents.DiscoverAsync(new DiscoveryQuery { AgentId = a, Specialization = spec }));
        await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = (DiscoveryFilter)42 }));
    }

    [Fact]
    public async Task Alive_discovery_pages_across_shards_without_gaps_or_repeats()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            var id = await Mesh.Sessions.SpawnAgentSessionAsync("Pager", "p", new SessionContext());
            await Mesh.Agents.HeartbeatSessionAsync(id, ttl: TimeSpan.FromMinutes(2));
            ids.Add(id);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await Mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Limit = 7, Cursor = cursor });
            Assert.True(page.Sessions.Count <= 7);
            seen.AddRange(page.Sessions.Select(s => s.Session.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Superset(ids.ToHashSet(), seen.ToHashSet());
    }

    private Task<List<DiscoveredSession>> AllAsync(DiscoveryFilter filter) => AllAsync(Mesh, filter);

    private static async Task<List<DiscoveredSession>> AllAsync(MeshCluster mesh, DiscoveryFilter filter)
    {
        var all = new List<DiscoveredSession>();
        string? cursor = null;
        do
        {
            var page = await mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = filter, Limit = 500, Cursor = cursor });
            all.AddRange(page.Sessions);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    /// <summary>Every row of every table that a heartbeat could touch, with its version.</summary>
    private Task<string> DatabaseFingerprintAsync() => Mesh.QueryAsync("""
        SELECT (SELECT group_concat(GrainTypeString || GrainIdExtensionString || ':' || Version, ',') FROM OrleansStorage)
            || '|' || (SELECT group_concat(Kind || Id || ':' || Epoch || ':' || TtlMs, ',') FROM Leases)
            || '|' || (SELECT group_concat(SessionId || Status || ':' || Version, ',') FROM SessionCatalog);
        """);
}
