using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Agents;
using SessionMesh.Grains.Observability;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Liveness;

/// <summary>
/// One shard of heartbeat leases. Heartbeats touch memory only. Expiry is found by a timer that
/// pops a deadline-ordered queue, so each tick costs only the leases actually due, not all of them.
/// Owners (sessions, agents) only ever call this grain one-way, and it calls them, so no call cycle
/// can form between a tracker and an owner.
/// </summary>
[GrainType("livenessshard")]
public sealed partial class LivenessShardGrain(
    ILeaseStore store,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock,
    ILogger<LivenessShardGrain> logger) : Grain, ILivenessShardGrain, ILivenessShardProtocol
{
    /// <summary>How often due leases are looked for: expiry is seen within TTL + this.</summary>
    public static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan ExpiryRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Dictionary<LeaseKey, Lease> _leases = [];
    private readonly SortedSet<string>[] _idsByKind = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    // Each tracked lease sits here once, under a deadline no later than its real one; a popped
    // lease whose real deadline moved on (it heartbeated) is pushed back with the new one.
    private readonly PriorityQueue<LeaseKey, DateTimeOffset> _deadlines = new();

    private StallGuard? _stalls;

    private int Shard => (int)this.GetPrimaryKeyLong();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // After a failover every stored lease gets one fresh TTL from now: heartbeats were in memory.
        var now = clock.GetUtcNow();
        foreach (var stored in await store.LoadAsync(Shard, cancellationToken))
        {
            Add(stored.Key, new Lease(stored.Epoch, stored.Ttl, now));
        }

        if (_leases.Count > 0)
        {
            LogRestored(logger, Shard, _leases.Count);
        }

        _stalls = new StallGuard(clock, TickPeriod, late => LogStalled(logger, Shard, late));
        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = TickPeriod, Period = TickPeriod, KeepAlive = true });
    }

    public async Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var requestedTtl = ttl is null ? (TimeSpan?)null : LivenessShards.ValidateTtl(ttl, nameof(ttl));
        var now = clock.GetUtcNow();
        if (_leases.TryGetValue(key, out var lease))
        {
            if (lease.Epoch != epoch)
            {
                throw new StaleEpochException(key.Id, epoch, lease.Epoch);
            }

            lease.LastHeartbeat = now;
            MeshMetrics.Heartbeat(key.Kind);
            if (requestedTtl is { } changed && changed != lease.Ttl)
            {
                lease.Ttl = changed;
                await store.UpsertAsync(Shard, key, epoch, changed, cancellationToken);
            }

            return Describe(key, lease, now);
        }

        // A lease's first heartbeat: its owner decides whether it may start one.
        await (key.Kind switch
        {
            LeaseKind.Session => GrainFactory.GetGrain<ISessionProtocol>(Guid.ParseExact(key.Id, "N")).BeginLeaseAsync(epoch, cancellationToken),
            _ => GrainFactory.GetGrain<IAgentProtocol>(key.Id).BeginLeaseAsync(epoch, cancellationToken),
        });

        return await StartAsync(key, epoch, requestedTtl ?? LivenessShards.DefaultTtl, cancellationToken);
    }

    public Task<LeaseInfo?[]> RenewTrackedAsync(LeaseRenewal[] renewals)
    {
        ArgumentNullException.ThrowIfNull(renewals);
        var now = clock.GetUtcNow();
        var renewed = new LeaseInfo?[renewals.Length];
        for (var i = 0; i < renewals.Length; i++)
        {
            // Only what HeartbeatAsync does without awaiting anything: everything else is its to answer.
            var (key, epoch, ttl) = renewals[i];
            if (key.Id is not null && _leases.TryGetValue(key, out var lease) && lease.Epoch == epoch && (ttl is null || ttl == lease.Ttl))
            {
                lease.LastHeartbeat = now;
                MeshMetrics.Heartbeat(key.Kind);
                renewed[i] = Describe(key, lease, now);
            }
        }

        return Task.FromResult(renewed);
    }

    public async Task TrackStoredAsync(LeaseKey key, long epoch, TimeSpan ttl)
    {
        ValidateKey(key);
        await StartAsync(key, epoch, LivenessShards.ValidateTtl(ttl, nameof(ttl)), CancellationToken.None);
    }

    public Task TrackAsync(LeaseKey key, long epoch, TimeSpan ttl) => TrackStoredAsync(key, epoch, ttl);

    public async Task ReleaseAsync(LeaseKey key)
    {
        if (Remove(key))
        {
            await store.RemoveAsync(key, CancellationToken.None);
        }
    }

    public Task<LeaseInfo?> GetAsync(LeaseKey key, CancellationToken cancellationToken = default) =>
        Task.FromResult(_leases.TryGetValue(key, out var lease) ? Describe(key, lease, clock.GetUtcNow()) : null);

    public Task<IReadOnlyList<LeaseInfo>> QueryAsync(LeaseKind kind, LeaseHealth health, string? afterId, int limit, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var ids = _idsByKind[(int)kind];
        IEnumerable<string> view = afterId is null || ids.Count == 0
            ? ids
            : string.CompareOrdinal(afterId, ids.Max) >= 0 ? [] : ids.GetViewBetween(afterId, ids.Max!);
        var found = new List<LeaseInfo>(Math.Min(limit, 256));
        foreach (var id in view)
        {
            if (string.Equals(id, afterId, StringComparison.Ordinal))
            {
                continue;
            }

            var key = new LeaseKey(kind, id);
            var info = Describe(key, _leases[key], now);
            if (info.Health == health && info.ExpiresAt > now)
            {
                found.Add(info);
                if (found.Count == limit)
                {
                    break;
                }
            }
        }

        return Task.FromResult<IReadOnlyList<LeaseInfo>>(found);
    }

    public Task PingAsync() => Task.CompletedTask;

    /// <summary>
    /// Starts (or renews) a lease and stores it. Tracked in memory before the write: TrackStoredAsync
    /// interleaves, and an expiry of the same key that is waiting on its owner meanwhile must see it,
    /// so it keeps the row (ExpireAsync). A write that fails puts memory back to what the row says.
    /// </summary>
    private async Task<LeaseInfo> StartAsync(LeaseKey key, long epoch, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var known = _leases.TryGetValue(key, out var lease);
        var before = known ? (lease!.Epoch, lease.Ttl, lease.LastHeartbeat) : default;
        if (known)
        {
            (lease!.Epoch, lease.Ttl, lease.LastHeartbeat) = (epoch, ttl, now);
        }
        else
        {
            lease = new Lease(epoch, ttl, now);
            Add(key, lease);
        }

        if (!known || before.Epoch != epoch || before.Ttl != ttl)
        {
            try
            {
                await store.UpsertAsync(Shard, key, epoch, ttl, cancellationToken);
            }
            catch
            {
                if (known)
                {
                    (lease.Epoch, lease.Ttl, lease.LastHeartbeat) = before;
                }
                else
                {
                    Remove(key);
                }

                throw;
            }
        }

        return Describe(key, lease, now);
    }

    /// <summary>Expires the leases due now, unless expiry is held after a stall of this shard (<see cref="StallGuard"/>).</summary>
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var tick = _stalls!.Begin();
        var waited = false;
        try
        {
            if (!tick.Holding)
            {
                var expiring = ExpireDueAsync(tick.Now, cancellationToken);
                waited = !expiring.IsCompleted;
                await expiring;
            }
        }
        finally
        {
            _stalls.End(tick, waited);
        }
    }

    /// <summary>Stops tracking the leases due at <paramref name="now"/> and tells their owners; complete at once when none is due.</summary>
    private Task ExpireDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<(LeaseKey Key, Lease Lease)>? expired = null;
        while (_deadlines.TryPeek(out var key, out var queuedDeadline) && queuedDeadline <= now)
        {
            _deadlines.Dequeue();
            if (!_leases.TryGetValue(key, out var lease) || lease.Queued != queuedDeadline)
            {
                continue; // released, or re-queued later
            }

            if (lease.Deadline > now)
            {
                lease.Queued = lease.Deadline;
                _deadlines.Enqueue(key, lease.Deadline);
                continue;
            }

            Remove(key);
            (expired ??= []).Add((key, lease));
        }

        return expired is null ? Task.CompletedTask : Task.WhenAll(expired.Select(e => ExpireAsync(e.Key, e.Lease, cancellationToken)));
    }

    /// <summary>
    /// Tells the owner its lease ran out, then forgets the stored row. The row is the recorded
    /// intent: it goes only after the owner took the news, so a silo dying in between, a cancelled
    /// turn or an owner that could not write (storage down) leaves it to be expired again.
    /// </summary>
    private async Task ExpireAsync(LeaseKey key, Lease lease, CancellationToken cancellationToken)
    {
        try
        {
            LogExpired(logger, key.Kind, key.Id, lease.Ttl);
            MeshMetrics.LeaseExpired(key.Kind);
            try
            {
                await (key.Kind switch
                {
                    LeaseKind.Session => GrainFactory.GetGrain<ISessionProtocol>(Guid.ParseExact(key.Id, "N")).LeaseExpiredAsync(cancellationToken),
                    _ => GrainFactory.GetGrain<IAgentProtocol>(key.Id).LeaseExpiredAsync(lease.Epoch, cancellationToken),
                });
            }
            catch (SessionMeshException ex) when (ex is not StorageUnavailableException)
            {
                // The owner is gone or already ended: nothing left to expire.
            }

            // An owner that started the lease again meanwhile (TrackStoredAsync interleaves) owns the row now.
            if (!_leases.ContainsKey(key))
            {
                await store.RemoveAsync(key, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The owner could not take the news (e.g. its storage is down): track it again and retry shortly.
            LogExpiryFailed(logger, ex, key.Kind, key.Id);
            if (!_leases.ContainsKey(key))
            {
                Add(key, new Lease(lease.Epoch, lease.Ttl, clock.GetUtcNow() - lease.Ttl + ExpiryRetryDelay));
            }
        }
    }

    private void Add(LeaseKey key, Lease lease)
    {
        _leases[key] = lease;
        _idsByKind[(int)key.Kind].Add(key.Id);
        lease.Queued = lease.Deadline;
        _deadlines.Enqueue(key, lease.Deadline);
    }

    private bool Remove(LeaseKey key)
    {
        if (!_leases.Remove(key))
        {
            return false;
        }

        _idsByKind[(int)key.Kind].Remove(key.Id);
        return true;
    }

    private static LeaseInfo Describe(LeaseKey key, Lease lease, DateTimeOffset now) => new()
    {
        Key = key,
        Epoch = lease.Epoch,
        Ttl = lease.Ttl,
        LastHeartbeat = lease.LastHeartbeat,
        ExpiresAt = lease.Deadline,
        Health = now - lease.LastHeartbeat > lease.Ttl / 2 ? LeaseHealth.Stale
            : lease.ProgressAt is { } progress && now - progress > lease.StallAfter ? LeaseHealth.Stalled
            : LeaseHealth.Alive,
        ProgressAt = lease.ProgressAt,
    };

    private void ValidateKey(LeaseKey key)
    {
        if (!Enum.IsDefined(key.Kind))
        {
            throw new InvalidInputException(nameof(key.Kind), $"'{key.Kind}' is not a lease kind.");
        }

        Validate.Id(key.Kind == LeaseKind.Session ? Validate.SessionIdField : Validate.AgentIdField, key.Id);
        if (key.Kind == LeaseKind.Session && !Guid.TryParseExact(key.Id, "N", out _))
        {
            throw new InvalidInputException(Validate.SessionIdField, "is not a session id.");
        }

        if (key.Shard != Shard)
        {
            throw new InvalidInputException(nameof(key), $"belongs to liveness shard {key.Shard}, not {Shard}.");
        }
    }

    private sealed class Lease(long epoch, TimeSpan ttl, DateTimeOffset lastHeartbeat)
    {
        public long Epoch { get; set; } = epoch;

        public TimeSpan Ttl { get; set; } = ttl;

        public DateTimeOffset LastHeartbeat { get; set; } = lastHeartbeat;

        public DateTimeOffset Deadline => LastHeartbeat + Ttl;

        /// <summary>The last progress its runner reported; null when it reports none.</summary>
        public DateTimeOffset? ProgressAt { get; set; }

        public TimeSpan StallAfter { get; set; }

        /// <summary>The deadline this lease is queued under.</summary>
        public DateTimeOffset Queued { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Liveness shard {Shard} restored {Count} leases, each with a fresh TTL.")]
    private static partial void LogRestored(ILogger logger, int shard, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Liveness shard {Shard} ticked {Late} late (stalled): expiry waits for the heartbeats sent meanwhile.")]
    private static partial void LogStalled(ILogger logger, int shard, TimeSpan late);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease of {Kind} {Id} ran out (TTL {Ttl}).")]
    private static partial void LogExpired(ILogger logger, LeaseKind kind, string id, TimeSpan ttl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry of {Kind} {Id} could not be delivered; retrying.")]
    private static partial void LogExpiryFailed(ILogger logger, Exception exception, LeaseKind kind, string id);
}
