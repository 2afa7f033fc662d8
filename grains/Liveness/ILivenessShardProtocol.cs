using Orleans.Concurrency;
using SessionMesh.Liveness;

namespace SessionMesh.Grains.Liveness;

/// <summary>How lease owners (sessions, agents) start and stop leases without asking. Internal: clients cannot.</summary>
[Alias("SessionMesh.Grains.Liveness.ILivenessShardProtocol")]
internal interface ILivenessShardProtocol : IGrainWithIntegerKey
{
    /// <summary>Starts (or renews) a lease on behalf of its owner, without asking it (one-way, like every owner call).</summary>
    [OneWay, Alias("track")]
    Task TrackAsync(LeaseKey key, long epoch, TimeSpan ttl);

    /// <summary>Stops tracking a lease whose owner ended (one-way: owners never wait on the tracker).</summary>
    [OneWay, Alias("release")]
    Task ReleaseAsync(LeaseKey key);
}

/// <summary>The shard protocol grain for a lease.</summary>
internal static class ShardProtocol
{
    public static ILivenessShardProtocol For(IGrainFactory grains, LeaseKey key) => grains.GetGrain<ILivenessShardProtocol>(key.Shard);
}
