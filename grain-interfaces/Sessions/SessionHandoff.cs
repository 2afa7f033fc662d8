namespace SessionMesh.Sessions;

/// <summary>What a handoff asks for: the next agent and the context it starts with.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-handoff")]
public sealed record SessionHandoff
{
    /// <summary>The agent that takes over, e.g. "ReviewAgent".</summary>
    [Id(0)] public required string ToAgent { get; init; }

    /// <summary>
    /// The child's context. Null keeps the parent's context; an issue number or worktree left null is
    /// the parent's. Its previous results are appended to the parent's; nothing is dropped.
    /// </summary>
    [Id(1)] public SessionContext? Context { get; init; }

    /// <summary>The child's purpose; "Handoff from session {id}" when null.</summary>
    [Id(2)] public string? Purpose { get; init; }

    /// <summary>The agent (by id) that runs the child session, if known.</summary>
    [Id(3)] public string? AgentId { get; init; }

    /// <summary>Starts the child's heartbeat lease with this TTL at once.</summary>
    [Id(4)] public TimeSpan? LeaseTtl { get; init; }

    /// <summary>
    /// The child's id, chosen by the caller so that a retry is safe: a handoff naming the child the
    /// parent already handed off to returns that child instead of a 409. New id when null.
    /// </summary>
    [Id(5)] public Guid? ChildSessionId { get; init; }
}
