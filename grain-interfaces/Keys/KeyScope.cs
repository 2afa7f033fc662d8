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

    /// <summary>The key that minted this one (null for a key minted with the bootstrap admin key).</summary>
    [Id(8)] public string? ParentKeyId { get; init; }

    /// <summary>How many keys stand between this one and the bootstrap admin key (0 for a root key).</summary>
    [Id(9)] public int Depth { get; init; }

    /// <summary>Whether <paramref name="scope"/> is one of this key's scopes or implied by one (admin implies operator and agent; operator implies agent).</summary>
    public bool Grants(KeyScope scope) => Scopes.Any(s => s == scope || s == KeyScope.Admin || (s == KeyScope.Operator && scope == KeyScope.Agent));
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

    /// <summary>The key minting this one: the new key may expire no later and do no more than it.</summary>
    [Id(6)] public string? ParentKeyId { get; init; }
}
