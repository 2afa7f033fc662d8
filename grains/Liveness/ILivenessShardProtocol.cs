using Orleans.Concurrency;
using SessionMesh.Liveness;

namespace SessionMesh.Grains.Liveness;

/// <summary>How lease owners (sessions, agents) start and stop leases without asking. Internal: clients cannot.</summary>
[Alias("SessionMesh.Grains.Liveness.ILivenessShardProtocol")]
internal interface ILivenessShardProtocol : IGrainWithIntegerKey
{
    /// <summary>
    /// Starts (or renews) a lease on behalf of its owner, without asking it, and answers once the
    /// lease is stored. The owner awaits it, so it interleaves with the shard's other calls: it calls
    /// no grain and writes only the lease's row, so an owner waiting on it while the shard waits on
    /// that owner (a first heartbeat, an expiry) cannot deadlock. A session spawned with a lease awaits
    /// it before its own write, so no session exists whose lease was lost on the way.
    /// </summary>
    [AlwaysInterleave, Alias("track-stored")]
    Task TrackStoredAsync(LeaseKey key, long epoch, TimeSpan ttl);

    /// <summary>The one-way form, kept for silos of earlier builds during a rolling upgrade.</summary>
    [OneWay, Alias("track")]
    Task TrackAsync(LeaseKey key, long epoch, TimeSpan ttl);

    /// <summary>Stops tracking a lease whose owner ended (one-way: owners never wait on the tracker).</summary>
    [OneWay, Alias("release")]
    Task ReleaseAsync(LeaseKey key);
}

/// <summary>The shard protocol grain for a lease.</summary>
internal static class ShardProtocol
{
    public static ILivenessShardProtocol For(IGrainFactory grains, LeaseKey key) => ShardReferences.For<ILivenessShardProtocol>(grains, key.Shard);
}
