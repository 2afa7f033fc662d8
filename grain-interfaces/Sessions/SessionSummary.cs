namespace SessionMesh.Sessions;

/// <summary>A session without its context: what lineage and descendant listings carry unless asked for contexts.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session-summary")]
public sealed record SessionSummary
{
    [Id(0)] public required Guid Id { get; init; }
    [Id(1)] public required string AgentName { get; init; }
    [Id(2)] public required string Purpose { get; init; }
    [Id(3)] public required SessionStatus Status { get; init; }
    [Id(4)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public required DateTimeOffset UpdatedAt { get; init; }
    [Id(6)] public DateTimeOffset? EndedAt { get; init; }
    [Id(7)] public Guid? ParentSession { get; init; }
    [Id(8)] public IReadOnlyList<Guid> ChildSessions { get; init; } = [];
    [Id(9)] public string? HandoffTo { get; init; }
    [Id(10)] public string? Error { get; init; }
    [Id(11)] public string? AgentId { get; init; }
    [Id(12)] public long AgentEpoch { get; init; }

    /// <summary>The phase of the session's context.</summary>
    [Id(13)] public Phase CurrentPhase { get; init; }

    /// <summary>The summary of a session.</summary>
    public static SessionSummary Of(SessionSnapshot session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new()
        {
            Id = session.Id,
            AgentName = session.AgentName,
            Purpose = session.Purpose,
            Status = session.Status,
            CreatedAt = session.CreatedAt,
            UpdatedAt = session.UpdatedAt,
            EndedAt = session.EndedAt,
            ParentSession = session.ParentSession,
            ChildSessions = session.ChildSessions,
            HandoffTo = session.HandoffTo,
            Error = session.Error,
            AgentId = session.AgentId,
            AgentEpoch = session.AgentEpoch,
            CurrentPhase = session.Context.CurrentPhase,
        };
    }
}

/// <summary>One page of a session's descendants, breadth first; with contexts only when asked.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.descendant-page")]
public sealed record DescendantPage(
    [property: Id(0)] IReadOnlyList<SessionSnapshot> Sessions,
    [property: Id(1)] string? NextCursor);
