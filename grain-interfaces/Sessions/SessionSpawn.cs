namespace SessionMesh.Sessions;

/// <summary>What a new session is started with.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-spawn")]
public sealed record SessionSpawn
{
    /// <summary>The name of the agent that runs the session, e.g. "CodeGenAgent".</summary>
    [Id(0)] public required string AgentName { get; init; }

    /// <summary>What the session is for.</summary>
    [Id(1)] public required string Purpose { get; init; }

    [Id(2)] public SessionContext Context { get; init; } = new();

    /// <summary>The agent (by id) that runs the session, if known.</summary>
    [Id(3)] public string? AgentId { get; init; }

    /// <summary>Starts a heartbeat lease with this TTL at once; without it the lease starts with the first heartbeat.</summary>
    [Id(4)] public TimeSpan? LeaseTtl { get; init; }
}
