using SessionMesh.Sessions;

namespace SessionMesh.Silo.Api;

// The request and response bodies that carry a session's context (ContextBody) or a grain enum (key
// scopes). The others are in contracts/ (SessionMesh.Contracts), shared with the CLI. Every field is nullable so a
// missing one is reported by name, not as a parse error. Durations are seconds.

/// <summary>POST /sessions. A client-chosen session_id makes retries safe (same body → same session).</summary>
public sealed record SpawnRequest(string? SessionId, string? AgentName, string? Purpose, ContextBody? Context, string? AgentId, double? LeaseTtl);

/// <summary>
/// POST /sessions/{id}/handoff. A client-chosen child_session_id makes retries safe: repeating the
/// handoff after the parent already handed off to that child returns the child, not a 409.
/// </summary>
public sealed record HandoffRequest(string? ToAgent, ContextBody? Context, string? Purpose, string? AgentId, double? LeaseTtl, string? ChildSessionId);

/// <summary>POST /keys response: the only time the key itself is shown.</summary>
public sealed record KeyCreated(string SessionKey, double Ttl, DateTimeOffset ExpiresAt, string KeyId, IReadOnlyList<Keys.KeyScope> Scopes, string? Label, string? ParentKeyId, int Depth);
