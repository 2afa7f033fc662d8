namespace SessionMesh.Liveness;

/// <summary>How heartbeats are spread: a fixed number of liveness shard grains, keyed 0..Count-1.</summary>
public static class LivenessShards
{
    /// <summary>The number of shards. Fixed: changing it moves leases between shards.</summary>
    public const int Count = 16;

    /// <summary>The default lease TTL.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    /// <summary>The shortest and longest TTL a lease may have.</summary>
    public static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);

    /// <summary>The shard grain tracking a lease.</summary>
    public static ILivenessShardGrain For(IGrainFactory grains, LeaseKey key)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return ShardReferences.For<ILivenessShardGrain>(grains, key.Shard);
    }

    /// <summary>Checks a TTL given by a caller.</summary>
    public static TimeSpan ValidateTtl(TimeSpan? ttl, string field = "Ttl")
    {
        var value = ttl ?? DefaultTtl;
        return value >= MinTtl && value <= MaxTtl
            ? value
            : throw new Errors.InvalidInputException(field, $"must be between {MinTtl.TotalSeconds:0} s and {MaxTtl.TotalHours:0} h (got {value.TotalSeconds} s).");
    }
}
