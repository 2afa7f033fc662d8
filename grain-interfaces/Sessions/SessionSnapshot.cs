namespace SessionMesh.Sessions;

/// <summary>A session as it is at the moment it was read.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.session")]
public sealed record SessionSnapshot
{
    [Id(0)] public required Guid Id { get; init; }
    [Id(1)] public required string AgentName { get; init; }
    [Id(2)] public required string Purpose { get; init; }
    [Id(3)] public required SessionContext Context { get; init; }
    [Id(4)] public required SessionStatus Status { get; init; }
    [Id(5)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(6)] public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the session left <see cref="SessionStatus.Active"/>; null while active.</summary>
    [Id(7)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The session this one was handed off from, if any.</summary>
    [Id(8)] public Guid? ParentSession { get; init; }

    /// <summary>Sessions handed off from this one.</summary>
    [Id(9)] public IReadOnlyList<Guid> ChildSessions { get; init; } = [];

    /// <summary>The agent this session was handed off to, once handed off.</summary>
    [Id(10)] public string? HandoffTo { get; init; }

    /// <summary>Why the session failed, once failed.</summary>
    [Id(11)] public string? Error { get; init; }

    /// <summary>The agent (by id) that runs this session, if one was named.</summary>
    [Id(12)] public string? AgentId { get; init; }

    /// <summary>The epoch of that agent when the session started; calls from an older epoch are refused.</summary>
    [Id(13)] public long AgentEpoch { get; init; }
}
