using SessionMesh.Batching;

namespace SessionMesh.Liveness;

/// <summary>
/// Relays heartbeats to their shards with at most one call in flight per shard: heartbeats that
/// arrive while a shard's call is out go together in its next one (<see cref="ILivenessShardGrain.RenewTrackedAsync"/>),
/// so under load a grain call carries many heartbeats, and a lone heartbeat is sent at once. A
/// heartbeat the batch does not renew (a first one, a TTL change, a stale epoch), or whose batch
/// failed, is sent alone with <see cref="ILivenessShardGrain.HeartbeatAsync"/> and gets exactly the
/// answer or error it gets alone. The silo's HTTP API relays its heartbeats through one of these.
/// </summary>
public sealed class HeartbeatCoalescer
{
    /// <summary>The most heartbeats one call carries.</summary>
    public const int MaxBatch = 512;

    private readonly Func<int, ILivenessShardGrain> _shard;
    private readonly RequestBatcher<LeaseRenewal, LeaseInfo?>[] _batchers;
    private long _renewed;

    public HeartbeatCoalescer(IGrainFactory grains)
        : this(shard => ShardReferences.For<ILivenessShardGrain>(grains, shard))
    {
        ArgumentNullException.ThrowIfNull(grains);
    }

    /// <summary>For a relay that reaches its shards another way (tests: a shard that answers when told).</summary>
    public HeartbeatCoalescer(Func<int, ILivenessShardGrain> shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _shard = shard;
        _batchers = [.. Enumerable.Range(0, LivenessShards.Count).Select(index =>
            new RequestBatcher<LeaseRenewal, LeaseInfo?>(renewals => _shard(index).RenewTrackedAsync(renewals), MaxBatch))];
    }

    /// <summary>Batch calls made so far.</summary>
    public long Calls => _batchers.Sum(b => b.Batches);

    /// <summary>Heartbeats renewed by batch calls so far.</summary>
    public long Renewed => Interlocked.Read(ref _renewed);

    /// <summary>Records a heartbeat and returns the lease, as <see cref="ILivenessShardGrain.HeartbeatAsync"/> does.</summary>
    public async Task<LeaseInfo> HeartbeatAsync(LeaseKey key, long epoch, TimeSpan? ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key.Id);
        var index = key.Shard;
        LeaseInfo? renewed;
        try
        {
            renewed = await _batchers[index].SendAsync(new LeaseRenewal(key, epoch, ttl), cancellationToken);
        }
#pragma warning disable CA1031 // Any failure of the batch: this heartbeat is then sent alone and reports its own outcome.
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // The batch failed: this heartbeat is sent alone, for its own answer or error.
            renewed = null;
        }

        if (renewed is not null)
        {
            Interlocked.Increment(ref _renewed);
            return renewed;
        }

        return await _shard(index).HeartbeatAsync(key, epoch, ttl, cancellationToken);
    }
}
