using SessionMesh.Sessions;

namespace SessionMesh.Silo.Api;

// Request bodies. Every field is nullable so a missing one is reported by name, not as a parse error.
// Durations are seconds.

/// <summary>POST /registry — the skill's {"specialization", "agent_id"}.</summary>
public sealed record RegistryRequest(string? Specialization, string? AgentId, string? DisplayName, double? LeaseTtl);

/// <summary>POST /steer — the skill's {"agent_id", "direction"}, with an optional message.</summary>
public sealed record SteerRequest(string? AgentId, string? Direction, string? Message);

/// <summary>POST /keys — the skill's {"ttl"}; scopes default to operator.</summary>
public sealed record KeyRequest(double? Ttl, IReadOnlyList<string>? Scopes, string? AgentId, string? SessionId, string? Label);

/// <summary>POST /sessions. A client-chosen session_id makes retries safe (same body → same session).</summary>
public sealed record SpawnRequest(string? SessionId, string? AgentName, string? Purpose, SessionContext? Context, string? AgentId, double? LeaseTtl);

/// <summary>
/// POST /sessions/{id}/handoff. A client-chosen child_session_id makes retries safe: repeating the
/// handoff after the parent already handed off to that child returns the child, not a 409.
/// </summary>
public sealed record HandoffRequest(string? ToAgent, SessionContext? Context, string? Purpose, string? AgentId, double? LeaseTtl, string? ChildSessionId);

/// <summary>POST /sessions/{id}/fail.</summary>
public sealed record FailRequest(string? Error);

/// <summary>POST /agents/{id}/heartbeat.</summary>
public sealed record AgentHeartbeatRequest(long? Epoch, double? Ttl);

/// <summary>POST /sessions/{id}/heartbeat.</summary>
public sealed record SessionHeartbeatRequest(long? AgentEpoch, double? Ttl);

/// <summary>POST /agents/{id}/acknowledgements.</summary>
public sealed record AcknowledgeRequest(long? Epoch, long? Sequence);

/// <summary>POST /keys response: the only time the key itself is shown.</summary>
public sealed record KeyCreated(string SessionKey, double Ttl, DateTimeOffset ExpiresAt, string KeyId, IReadOnlyList<Keys.KeyScope> Scopes, string? Label, string? ParentKeyId, int Depth);
