using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Liveness;

/// <summary>
/// The HTTP API relays heartbeats through a <see cref="HeartbeatCoalescer"/>: under load one shard
/// call carries many of them. Each caller still gets exactly the answer or error it gets alone.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class HeartbeatCoalescerTests(SessionClusterFixture fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private MeshCluster Mesh => fixture.Mesh;

    [Fact]
    public async Task Heartbeats_relayed_together_each_get_the_answer_they_get_alone()
    {
        var agents = Enumerable.Range(0, 8).Select(_ => $"relay-{Guid.NewGuid():N}").ToArray();
        foreach (var agent in agents)
        {
            await Mesh.Agents.RegisterAsync(agent, "relay", leaseTtl: Ttl);
        }

        // Each lease tracked by its shard before the burst (a heartbeat straight to it).
        var before = new Dictionary<string, DateTimeOffset>();
        foreach (var agent in agents)
        {
            before[agent] = (await Mesh.Agents.HeartbeatAgentAsync(agent, 1)).LastHeartbeat;
        }

        var session = await Mesh.Sessions.SpawnAgentSessionAsync("Relayed", "p", new SessionContext());
        var relay = new HeartbeatCoalescer(Mesh.Client);

        // 80 renewals of tracked leases, sent all at once next to the heartbeats a batch does not
        // renew: a stale epoch, a TTL change, a lease's first heartbeat, an agent that does not exist.
        var renewals = agents.SelectMany(agent => Enumerable.Range(0, 10).Select(_ => (Agent: agent, Beat: Task.Run(() => relay.HeartbeatAsync(LeaseKey.ForAgent(agent), 1, null))))).ToList();
        var stale = Task.Run(() => relay.HeartbeatAsync(LeaseKey.ForAgent(agents[0]), 7, null));
        var longer = Task.Run(() => relay.HeartbeatAsync(LeaseKey.ForAgent(agents[1]), 1, TimeSpan.FromMinutes(20)));
        var first = Task.Run(() => relay.HeartbeatAsync(LeaseKey.ForSession(session), 0, Ttl));
        var missing = Task.Run(() => relay.HeartbeatAsync(LeaseKey.ForAgent($"missing-{Guid.NewGuid():N}"), 1, null));

        foreach (var (agent, beat) in renewals)
        {
            var lease = await beat;
            Assert.Equal((LeaseKey.ForAgent(agent), 1L, LeaseHealth.Alive), (lease.Key, lease.Epoch, lease.Health));
            Assert.True(lease.LastHeartbeat >= before[agent]);
        }

        var staleError = await Assert.ThrowsAsync<StaleEpochException>(() => stale);
        Assert.Equal((7L, 1L), (staleError.Epoch, staleError.CurrentEpoch));
        Assert.Equal(TimeSpan.FromMinutes(20), (await longer).Ttl);
        Assert.Equal(TimeSpan.FromMinutes(20), (await Mesh.Agents.HeartbeatAgentAsync(agents[1], 1)).Ttl);
        var started = await first;
        Assert.Equal((LeaseKey.ForSession(session), LeaseHealth.Alive, Ttl), (started.Key, started.Health, started.Ttl));

        // The same error as the heartbeat sent straight to its shard.
        var alone = await Assert.ThrowsAnyAsync<SessionMeshException>(() => Mesh.Agents.HeartbeatAgentAsync($"missing-{Guid.NewGuid():N}", 1));
        Assert.IsType(alone.GetType(), await Assert.ThrowsAnyAsync<SessionMeshException>(() => missing));

        // The 80 renewals went by batch calls; the four others were each sent alone after it.
        Assert.Equal(80, relay.Renewed);
        Assert.InRange(relay.Calls, 1, 84);
    }

    [Fact]
    public async Task Heartbeats_that_arrive_while_a_shard_call_is_out_go_together_in_its_next_call()
    {
        var shard = new HeldShard();
        var relay = new HeartbeatCoalescer(_ => shard);
        var keys = Enumerable.Range(0, 1000).Select(i => LeaseKey.ForAgent($"held-{i}")).Where(k => k.Shard == 0).Take(11).ToArray();

        var firstBeat = relay.HeartbeatAsync(keys[0], 1, null);
        await shard.FirstCallArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var gaveUp = new CancellationTokenSource();
        var queued = keys[1..].Select((key, i) => relay.HeartbeatAsync(key, 1, null, i == 4 ? gaveUp.Token : default)).ToArray();
        await gaveUp.CancelAsync();
        shard.Release.SetResult();

        Assert.Equal(keys[0], (await firstBeat).Key);
        for (var i = 0; i < queued.Length; i++)
        {
            if (i == 4)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued[i]);
                continue;
            }

            Assert.Equal(keys[i + 1], (await queued[i]).Key);
        }

        // One call for the first heartbeat, one for the ten that waited behind it.
        Assert.Equal([1, 10], shard.Batches.Select(b => b.Length));
        Assert.Equal(keys[1..], shard.Batches[1].Select(r => r.Key));
        Assert.Equal((2, 10), (relay.Calls, relay.Renewed));
    }

    [Fact]
    public async Task A_batch_that_fails_leaves_each_heartbeat_to_be_sent_alone()
    {
        var shard = new HeldShard { FailBatches = true };
        shard.Release.SetResult();
        var relay = new HeartbeatCoalescer(_ => shard);
        var keys = Enumerable.Range(0, 1000).Select(i => LeaseKey.ForAgent($"failing-{i}")).Where(k => k.Shard == 3).Take(5).ToArray();

        var beats = keys.Select(key => relay.HeartbeatAsync(key, key == keys[2] ? 9 : 1, null)).ToArray();

        await Assert.ThrowsAsync<StaleEpochException>(() => beats[2]);
        foreach (var i in new[] { 0, 1, 3, 4 })
        {
            Assert.Equal(keys[i], (await beats[i]).Key);
        }

        Assert.Equal(keys, shard.Alone.OrderBy(k => Array.IndexOf(keys, k)));
        Assert.Equal(0, relay.Renewed);
    }

    /// <summary>
    /// A shard stand-in whose first batch call waits until released, so heartbeats pile up behind it
    /// deterministically. Every lease is tracked at epoch 1.
    /// </summary>
    private sealed class HeldShard : ILivenessShardGrain
    {
        public TaskCompletionSource FirstCallArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<LeaseRenewal[]> Batches { get; } = [];

        public List<LeaseKey> Alone { get; } = [];

        public bool FailBatches { get; init; }

        public async Task<LeaseInfo?[]> RenewTrackedAsync(LeaseRenewal[] renewals)
        {
            lock (Batches)
            {
                Batches.Add(renewals);
            }

            FirstCallArrived.TrySetResult();
            await Release.Task;
            return FailBatches ? throw new TimeoutException("the shard's silo did not answer") : [.. renewals.Select(r => (LeaseInfo?)Lease(r.Key))];
        }

        public Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default)
        {
            lock (Alone)
            {
                Alone.Add(key);
            }

            return epoch == 1 ? Task.FromResult(Lease(key)) : throw new StaleEpochException(key.Id, epoch, 1);
        }

        public Task<LeaseInfo?> GetAsync(LeaseKey key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<LeaseInfo>> QueryAsync(LeaseKind kind, LeaseHealth health, string? afterId, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<LeaseInfo?> ReportProgressAsync(LeaseKey key, long epoch, DateTimeOffset progressAt, TimeSpan stallAfter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task PingAsync() => throw new NotSupportedException();

        private static LeaseInfo Lease(LeaseKey key) => new()
        {
            Key = key,
            Epoch = 1,
            Ttl = Ttl,
            LastHeartbeat = DateTimeOffset.UnixEpoch,
            ExpiresAt = DateTimeOffset.UnixEpoch + Ttl,
            Health = LeaseHealth.Alive,
        };
    }
}
