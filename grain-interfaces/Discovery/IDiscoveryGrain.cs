using SessionMesh.Registry;

namespace SessionMesh.Discovery;

/// <summary>Which agents of a specialization to find.</summary>
[GenerateSerializer, Alias("sessionmesh.agent-filter")]
public enum AgentFilter
{
    /// <summary>Every registered agent.</summary>
    Any = 0,

    /// <summary>Agents whose heartbeat lease is Alive.</summary>
    Alive = 1,

    /// <summary>Agents that are Idle (registered, running no session).</summary>
    Idle = 2,
}

/// <summary>An agent found in a registry, with its lease if it holds one.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.found-agent")]
public sealed record FoundAgent(
    [property: Id(0)] string AgentId,
    [property: Id(1)] Agents.AgentStatus Status,
    [property: Id(2)] Liveness.LeaseInfo? Lease);

/// <summary>Counts across the mesh: sessions by status, and lease and kill events.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.mesh-stats")]
public sealed record MeshStats(
    [property: Id(0)] Sessions.SessionStats Sessions,
    [property: Id(1)] long SessionsExpired,
    [property: Id(2)] long AgentsLost,
    [property: Id(3)] long AgentsKilled);

/// <summary>
/// "Who is alive, who can do this": answered from the liveness shards, the registries and the
/// session catalog, never by calling every session. Stateless: use key 0; every silo answers locally.
/// </summary>
[Alias("SessionMesh.Discovery.IDiscoveryGrain")]
public interface IDiscoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Sessions by filter (active, alive, stale, all), optionally of one agent or specialization, paged.</summary>
    [Alias("discover-sessions")]
    Task<DiscoveryPage> DiscoverSessionsAsync(DiscoveryQuery query, CancellationToken cancellationToken = default);

    /// <summary>Agents of a specialization, ordered by id, optionally only alive or idle ones.</summary>
    [Alias("find-agents")]
    Task<IReadOnlyList<FoundAgent>> FindAgentsAsync(string specialization, AgentFilter filter, string? afterAgentId = null, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Every specialization with its agent count.</summary>
    [Alias("list-specializations")]
    Task<IReadOnlyList<SpecializationCount>> ListSpecializationsAsync(CancellationToken cancellationToken = default);

    /// <summary>Session counts and lease/kill event counts.</summary>
    [Alias("get-stats")]
    Task<MeshStats> GetStatsAsync(CancellationToken cancellationToken = default);
}
