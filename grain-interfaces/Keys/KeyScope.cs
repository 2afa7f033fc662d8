namespace SessionMesh.Keys;

/// <summary>What a session key may do.</summary>
[GenerateSerializer, Alias("sessionmesh.key-scope")]
public enum KeyScope
{
    /// <summary>Everything, including keys.</summary>
    Admin = 0,

    /// <summary>Steer, kill, register, sessions, and read everything.</summary>
    Operator = 1,

    /// <summary>Heartbeat, acknowledge and read, for the agent or session the key is bound to.</summary>
    Agent = 2,
}

/// <summary>A session key as the mesh shows it: never its secret.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.key")]
public sealed record KeyInfo
{
    [Id(0)] public required string KeyId { get; init; }
    [Id(1)] public required IReadOnlyList<KeyScope> Scopes { get; init; }
    [Id(2)] public required DateTimeOffset CreatedAt { get; init; }
    [Id(3)] public required DateTimeOffset ExpiresAt { get; init; }
    [Id(4)] public bool Revoked { get; init; }

    /// <summary>The agent an agent-scoped key is bound to.</summary>
    [Id(5)] public string? AgentId { get; init; }

    /// <summary>The session an agent-scoped key is bound to.</summary>
    [Id(6)] public Guid? SessionId { get; init; }

    /// <summary>An optional name, e.g. to make creating "the CI key" idempotent.</summary>
    [Id(7)] public string? Label { get; init; }
}

/// <summary>What a new key is created with; the secret itself never reaches a grain, only its hash.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.key-spec")]
public sealed record KeySpec
{
    [Id(0)] public required byte[] SecretHash { get; init; }
    [Id(1)] public required IReadOnlyList<KeyScope> Scopes { get; init; }
    [Id(2)] public required TimeSpan Ttl { get; init; }
    [Id(3)] public string? AgentId { get; init; }
    [Id(4)] public Guid? SessionId { get; init; }
    [Id(5)] public string? Label { get; init; }
}
