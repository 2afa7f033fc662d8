namespace SessionMesh.Contracts;

// Request bodies of the HTTP API, shared by the silo (which reads them) and the CLI (which sends
// them). Every field is nullable so that a missing one is reported by name, not as a parse error.
// Durations are seconds. On the wire, names are snake_case (agent_id, lease_ttl, …).

/// <summary>POST /registry — the skill's {"specialization", "agent_id"}.</summary>
public sealed record RegistryRequest(string? Specialization, string? AgentId, string? DisplayName, double? LeaseTtl);

/// <summary>POST /steer — the skill's {"agent_id", "direction"}, with an optional message.</summary>
public sealed record SteerRequest(string? AgentId, string? Direction, string? Message);

/// <summary>POST /keys — the skill's {"ttl"}; scopes default to operator.</summary>
public sealed record KeyRequest(double? Ttl, IReadOnlyList<string>? Scopes, string? AgentId, string? SessionId, string? Label);

/// <summary>POST /sessions/{id}/fail.</summary>
public sealed record FailRequest(string? Error);

/// <summary>POST /agents/{id}/heartbeat.</summary>
public sealed record AgentHeartbeatRequest(long? Epoch, double? Ttl);

/// <summary>POST /sessions/{id}/heartbeat.</summary>
public sealed record SessionHeartbeatRequest(long? AgentEpoch, double? Ttl);

/// <summary>POST /agents/{id}/acknowledgements.</summary>
public sealed record AcknowledgeRequest(long? Epoch, long? Sequence);

/// <summary>POST /agents/{id}/progress and /sessions/{id}/progress.</summary>
public sealed record ProgressRequest(long? Epoch, long? AgentEpoch, DateTimeOffset? ProgressAt, double? StallAfter);

/// <summary>POST /sessions/{id}/logs.</summary>
public sealed record LogAppendRequest(IReadOnlyList<LogAppendLine>? Lines);

/// <summary>One line to append.</summary>
public sealed record LogAppendLine(string? Text, string? Stream, DateTimeOffset? At);
