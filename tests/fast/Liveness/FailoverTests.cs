using Orleans.Runtime;
using SessionMesh.Agents;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Topology;
using Orleans.Streams;

namespace SessionMesh.Tests.Liveness;

/// <summary>What survives losing a silo or restarting one: leases, directives, and the event stream.</summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task Leases_survive_the_loss_of_the_silo_that_tracked_them()
    {
        await using var mesh = await MeshCluster.StartAsync(silos: 2);
        var ttl = TimeSpan.FromSeconds(20);
        var sessions = new List<Guid>();
        for (var i = 0; i < 48; i++)
        {
            var id = await mesh.Sessions.SpawnAgentSessionAsync("Tracked", "failover", new SessionContext());
            await mesh.Agents.HeartbeatSessionAsync(id, ttl: ttl);
            sessions.Add(id);
        }

        // Kill the silo that is not the primary; shards it hosted must come back on the survivor.
        // Placement is the runtime's choice, so first move half the shards onto the victim.
        var victim = mesh.Cluster.Silos[1];
        bool OnVictim(int shard) =>
            mesh.Cluster.TryGetGrainContext(mesh.Client.GetGrain<ILivenessShardGrain>(shard).GetGrainId(), out var context)
            && victim.SiloAddress.Equals(context.Address.SiloAddress);
        for (var shard = 0; shard < LivenessShards.Count / 2; shard++)
        {
            if (!OnVictim(shard))
            {
                var grain = mesh.Client.GetGrain<ILivenessShardGrain>(shard);
                await mesh.Cluster.MigrateAsync(grain, victim.SiloAddress).WaitAsync(TimeSpan.FromSeconds(30));
                await grain.PingAsync();
            }
        }

        var shardsOnVictim = Enumerable.Range(0, LivenessShards.Count).Where(OnVictim).ToList();
        Assert.NotEmpty(shardsOnVictim);
        await mesh.Cluster.KillSiloAsync(victim);

        var lostKeys = sessions.Select(LeaseKey.ForSession).Where(k => shardsOnVictim.Contains(k.Shard)).ToList();
        Assert.NotEmpty(lostKeys);
        foreach (var key in lostKeys)
        {
            var lease = await Eventually.WaitForAsync(
                async () =>
                {
                    try
                    {
                        return await LivenessShards.For(mesh.Client, key).GetAsync(key);
                    }
                    catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
                    {
                        return null;
                    }
                },
                l => l is not null,
                seconds: 60);
            Assert.NotNull(lease);
            Assert.Equal(ttl, lease!.Ttl);
        }

        // Every session is still Active (one fresh TTL of grace) and heartbeats carry on.
        foreach (var id in sessions)
        {
            Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(id)).Status);
            await mesh.Agents.HeartbeatSessionAsync(id);
        }
    }

    [Fact]
    public async Task Directives_survive_a_silo_restart()
    {
        var directory = MeshCluster.NewDataDirectory();
        var agentId = $"agent-{Guid.NewGuid():N}";
        Directive first, second;
        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            await mesh.Agents.RegisterAsync(agentId, "navigation");
            first = await mesh.Agents.SteerAsync(agentId, "north", "start");
            second = await mesh.Agents.SteerAsync(agentId, "east");
            await mesh.Agents.AcknowledgeAsync(agentId, 1, 1);
        }

        await using var restarted = await MeshCluster.StartAsync(directory);
        Assert.Equal([first, second], await restarted.Agents.GetDirectivesAsync(agentId));
        var agent = await restarted.Agents.GetAgentAsync(agentId);
        Assert.Equal(("east", 2L, 1L), (agent.Direction, agent.LastSequence, agent.AcknowledgedThrough));
        Assert.Equal(3, (await restarted.Agents.SteerAsync(agentId, "south")).Sequence);
    }

    [Fact]
    public async Task Topology_events_reach_a_stream_subscriber()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var received = new List<TopologyEvent>();
        var stream = mesh.Client.GetStreamProvider(TopologyStream.Provider)
            .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, TopologyStream.Key));
        var handle = await stream.SubscribeAsync((e, _) =>
        {
            lock (received)
            {
                received.Add(e);
            }

            return Task.CompletedTask;
        });

        var agentId = $"agent-{Guid.NewGuid():N}";
        await mesh.Agents.RegisterAsync(agentId, "events");
        var session = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext(), agentId: agentId);
        var child = await mesh.Sessions.HandoffAsync(session, "ReviewAgent", new SessionContext { CurrentPhase = Phase.Review });
        await mesh.Sessions.CompleteSessionAsync(child);
        var failing = await mesh.Sessions.SpawnAgentSessionAsync("TestAgent", "p", new SessionContext());
        await mesh.Sessions.FailSessionAsync(failing, "red");
        await mesh.Agents.SteerAsync(agentId, "west");
        await mesh.Agents.KillAsync(agentId, force: true);

        var expected = new[]
        {
            TopologyEventKind.AgentRegistered, TopologyEventKind.SessionSpawned, TopologyEventKind.SessionHandedOff,
            TopologyEventKind.SessionCompleted, TopologyEventKind.SessionFailed, TopologyEventKind.AgentSteered, TopologyEventKind.AgentKilled,
        };
        var kinds = await Eventually.WaitForAsync(
            () =>
            {
                lock (received)
                {
                    return Task.FromResult(received.Select(e => e.Kind).ToHashSet());
                }
            },
            k => expected.All(k.Contains));
        Assert.Superset(expected.ToHashSet(), kinds);
        lock (received)
        {
            Assert.Contains(received, e => e.Kind == TopologyEventKind.AgentSteered && e.Subject == agentId && e.Detail == "west");
        }

        await handle.UnsubscribeAsync();
    }
}
