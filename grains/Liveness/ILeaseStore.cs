using SessionMesh.Liveness;

namespace SessionMesh.Grains.Liveness;

/// <summary>
/// Durable membership of the liveness shards: a row per tracked lease, written when a lease
/// starts, changes TTL or ends — never per heartbeat. A shard reloads its rows when it activates.
/// </summary>
public interface ILeaseStore
{
    Task UpsertAsync(int shard, LeaseKey key, long epoch, TimeSpan ttl, CancellationToken cancellationToken);

    Task RemoveAsync(LeaseKey key, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredLease>> LoadAsync(int shard, CancellationToken cancellationToken);
}

/// <summary>A lease as stored: who, which epoch, how long.</summary>
public readonly record struct StoredLease(LeaseKey Key, long Epoch, TimeSpan Ttl);
