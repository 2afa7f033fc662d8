using Orleans.Concurrency;
namespace SessionMesh.Liveness;

/// <summary>
/// Tracks the heartbeat leases of one shard of sessions and agents. Heartbeats stay in memory;
/// only joins, expiries and leaves are stored, so after a silo loss the shard reactivates elsewhere
/// with every lease and one fresh TTL of grace. Expiry is detected by the shard's own timer.
/// </summary>
public interface ILivenessShardGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Records a heartbeat and returns the lease. The first heartbeat of an unknown lease asks its
    /// owner (session or agent) whether it may start one. A stale epoch throws <see cref="Errors.StaleEpochException"/>.
    /// </summary>
    Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default);

    /// <summary>Starts (or renews) a lease on behalf of its owner, without asking it (one-way, like every owner call).</summary>
    [OneWay]
    Task TrackAsync(LeaseKey key, long epoch, TimeSpan ttl);

    /// <summary>Stops tracking a lease whose owner ended (one-way: owners never wait on the tracker).</summary>
    [OneWay]
    Task ReleaseAsync(LeaseKey key);

    /// <summary>The lease for a key, or null when none is tracked.</summary>
    Task<LeaseInfo?> GetAsync(LeaseKey key, CancellationToken cancellationToken = default);

    /// <summary>Leases of a kind with a health, ordered by id, after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<LeaseInfo>> QueryAsync(LeaseKind kind, LeaseHealth health, string? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the last progress of a tracked lease (in memory, like heartbeats): past
    /// <paramref name="stallAfter"/> without progress a lease that still heartbeats is Stalled.
    /// Returns the lease, or null when none is tracked. A stale epoch throws <see cref="Errors.StaleEpochException"/>.
    /// </summary>
    [Alias("report-progress")]
    Task<LeaseInfo?> ReportProgressAsync(LeaseKey key, long epoch, DateTimeOffset progressAt, TimeSpan stallAfter, CancellationToken cancellationToken = default);

    /// <summary>Wakes the shard (it keeps itself active afterwards). Each silo pings every shard periodically.</summary>
    Task PingAsync();
}
