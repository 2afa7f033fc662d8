using Orleans.Concurrency;
namespace SessionMesh.Liveness;

/// <summary>
/// Tracks the heartbeat leases of one shard of sessions and agents. Heartbeats stay in memory;
/// only joins, expiries and leaves are stored, so after a silo loss the shard reactivates elsewhere
/// with every lease and one fresh TTL of grace. Expiry is detected by the shard's own timer.
/// </summary>
[Alias("SessionMesh.Liveness.ILivenessShardGrain")]
public interface ILivenessShardGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Records a heartbeat and returns the lease. The first heartbeat of an unknown lease asks its
    /// owner (session or agent) whether it may start one. A stale epoch throws <see cref="Errors.StaleEpochException"/>.
    /// </summary>
    [Alias("heartbeat")]
    Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renews, in one call, each lease tracked here at the given epoch whose TTL stays as it is (none
    /// given, or the one it has): the heartbeats a silo's HTTP API relays, batched by
    /// <see cref="HeartbeatCoalescer"/>. Answers in order: the renewed lease, or null for any other
    /// heartbeat (a first one, a TTL change, a stale epoch, a key of another shard), which the caller
    /// then sends alone with <see cref="HeartbeatAsync"/> to get exactly the answer it gets alone.
    /// </summary>
    [Alias("renew-tracked")]
    Task<LeaseInfo?[]> RenewTrackedAsync(LeaseRenewal[] renewals);

    /// <summary>The lease for a key, or null when none is tracked.</summary>
    // Reads of the in-memory lease table: safe alongside other reads, never mid-write.
    [Alias("get"), ReadOnly]
    Task<LeaseInfo?> GetAsync(LeaseKey key, CancellationToken cancellationToken = default);

    /// <summary>Leases of a kind with a health, ordered by id, after <paramref name="afterId"/>.</summary>
    // A read of the in-memory lease table.
    [Alias("query"), ReadOnly]
    Task<IReadOnlyList<LeaseInfo>> QueryAsync(LeaseKind kind, LeaseHealth health, string? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the last progress of a tracked lease (in memory, like heartbeats): past
    /// <paramref name="stallAfter"/> without progress a lease that still heartbeats is Stalled.
    /// Returns the lease, or null when none is tracked. A stale epoch throws <see cref="Errors.StaleEpochException"/>.
    /// </summary>
    [Alias("report-progress")]
    Task<LeaseInfo?> ReportProgressAsync(LeaseKey key, long epoch, DateTimeOffset progressAt, TimeSpan stallAfter, CancellationToken cancellationToken = default);

    /// <summary>Wakes the shard (it keeps itself active afterwards). Each silo pings every shard periodically.</summary>
    [Alias("ping")]
    Task PingAsync();
}
