namespace SessionMesh.Liveness;

/// <summary>How fresh a lease is.</summary>
[GenerateSerializer, Alias("sessionmesh.lease-health")]
public enum LeaseHealth
{
    /// <summary>Heartbeat within half the TTL: on schedule.</summary>
    Alive = 0,

    /// <summary>Heartbeat overdue (older than half the TTL) but the lease has not run out yet.</summary>
    Stale = 1,

    /// <summary>Heartbeats on schedule, but no progress (output, acknowledged directive) within the stall window its runner set.</summary>
    Stalled = 2,
}

/// <summary>One tracked lease as the liveness tracker sees it now.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.lease")]
public sealed record LeaseInfo
{
    [Id(0)] public required LeaseKey Key { get; init; }
    [Id(1)] public required long Epoch { get; init; }
    [Id(2)] public required TimeSpan Ttl { get; init; }
    [Id(3)] public required DateTimeOffset LastHeartbeat { get; init; }

    /// <summary>When the lease runs out unless another heartbeat arrives.</summary>
    [Id(4)] public required DateTimeOffset ExpiresAt { get; init; }
    [Id(5)] public required LeaseHealth Health { get; init; }

    /// <summary>The last progress its runner reported (output or an acknowledged directive), if it reports any.</summary>
    [Id(6)] public DateTimeOffset? ProgressAt { get; init; }

    /// <summary>Heartbeating without progress: <see cref="Health"/> is <see cref="LeaseHealth.Stalled"/>.</summary>
    public bool Stalled => Health == LeaseHealth.Stalled;
}
