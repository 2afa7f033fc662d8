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

/// <summary>POST /sessions. A client-chosen session_id makes retries safe (same body → same session).</summary>
public sealed record SpawnRequest(string? SessionId, string? AgentName, string? Purpose, ContextBody? Context, string? AgentId, double? LeaseTtl);

/// <summary>
/// POST /sessions/{id}/handoff. A client-chosen child_session_id makes retries safe: repeating the
/// handoff after the parent already handed off to that child returns the child, not a 409.
/// </summary>
public sealed record HandoffRequest(string? ToAgent, ContextBody? Context, string? Purpose, string? AgentId, double? LeaseTtl, string? ChildSessionId);

/// <summary>POST /keys response: the only time the key itself is shown.</summary>
public sealed record KeyCreated(string SessionKey, double Ttl, DateTimeOffset ExpiresAt, string KeyId, IReadOnlyList<KeyScope> Scopes, string? Label, string? ParentKeyId, int Depth);

/// <summary>POST /sessions/{id}/logs response: the sequence of the last line appended.</summary>
public sealed record LogAppended(long LastSequence);

/// <summary>GET /sessions/{id}/logs: lines of a session's log, oldest first.</summary>
public sealed record LogLines(Guid SessionId, IReadOnlyList<LogLineResponse> Lines);
