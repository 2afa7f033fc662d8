namespace SessionMesh.Agents;

/// <summary>An agent as it is at the moment it was read.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent")]
public sealed record AgentSnapshot
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public string? DisplayName { get; init; }

    /// <summary>Specializations, in ordinal order.</summary>
    [Id(2)] public IReadOnlyList<string> Specializations { get; init; } = [];
    [Id(3)] public required AgentStatus Status { get; init; }

    /// <summary>The Active session it runs, if any.</summary>
    [Id(4)] public Guid? CurrentSession { get; init; }

    /// <summary>The fencing epoch: heartbeats and acknowledgements must carry it. A kill bumps it.</summary>
    [Id(5)] public required long Epoch { get; init; }

    /// <summary>The direction of the latest steer, if any.</summary>
    [Id(6)] public string? Direction { get; init; }

    /// <summary>The sequence number of the latest directive (0 when none).</summary>
    [Id(7)] public long LastSequence { get; init; }

    /// <summary>Every directive up to this sequence number has been acknowledged.</summary>
    [Id(8)] public long AcknowledgedThrough { get; init; }
    [Id(9)] public required DateTimeOffset RegisteredAt { get; init; }
    [Id(10)] public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>While Draining: when the kill becomes final without an acknowledgement.</summary>
    [Id(11)] public DateTimeOffset? KillDeadline { get; init; }
}
