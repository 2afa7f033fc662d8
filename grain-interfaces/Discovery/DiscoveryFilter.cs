namespace SessionMesh.Discovery;

/// <summary>Which sessions a discovery query returns.</summary>
[GenerateSerializer, Alias("sessionmesh.discovery-filter")]
public enum DiscoveryFilter
{
    /// <summary>Status Active, with or without a lease.</summary>
    Active = 0,

    /// <summary>Active with a heartbeat within half its TTL.</summary>
    Alive = 1,

    /// <summary>Active, heartbeat overdue, lease not yet run out.</summary>
    Stale = 2,

    /// <summary>Every session.</summary>
    All = 3,

    /// <summary>Sessions whose lease heartbeats on schedule but whose runner reports no progress.</summary>
    Stalled = 4,
}

/// <summary>A discovery query; at most one of agent and specialization narrows it.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.discovery-query")]
public sealed record DiscoveryQuery
{
    [Id(0)] public DiscoveryFilter Filter { get; init; } = DiscoveryFilter.Active;

    /// <summary>Only sessions run by this agent.</summary>
    [Id(1)] public string? AgentId { get; init; }

    /// <summary>Only sessions run by agents of this specialization.</summary>
    [Id(2)] public string? Specialization { get; init; }
    [Id(3)] public int Limit { get; init; } = 100;
    [Id(4)] public string? Cursor { get; init; }
}

/// <summary>A discovered session with its lease, if it holds one.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.discovered-session")]
public sealed record DiscoveredSession(
    [property: Id(0)] Sessions.SessionSnapshot Session,
    [property: Id(1)] Liveness.LeaseInfo? Lease);

/// <summary>One page of discovery results.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.discovery-page")]
public sealed record DiscoveryPage(
    [property: Id(0)] IReadOnlyList<DiscoveredSession> Sessions,
    [property: Id(1)] string? NextCursor);
