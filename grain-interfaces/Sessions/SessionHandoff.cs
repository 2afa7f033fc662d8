namespace SessionMesh.Sessions;

/// <summary>What a handoff asks for: the next agent and the context it starts with.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-handoff")]
public sealed record SessionHandoff
{
    /// <summary>The agent that takes over, e.g. "ReviewAgent".</summary>
    [Id(0)] public required string ToAgent { get; init; }

    /// <summary>
    /// The child's context. Its previous results are appended to the parent's; nothing is dropped.
    /// </summary>
    [Id(1)] public SessionContext Context { get; init; } = new();

    /// <summary>The child's purpose; "Handoff from session {id}" when null.</summary>
    [Id(2)] public string? Purpose { get; init; }

    /// <summary>The agent (by id) that runs the child session, if known.</summary>
    [Id(3)] public string? AgentId { get; init; }

    /// <summary>Starts the child's heartbeat lease with this TTL at once.</summary>
    [Id(4)] public TimeSpan? LeaseTtl { get; init; }
}
