using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Silo.Api;

// What the API answers for sessions and agents: records of the edge, mapped from the grain
// contracts, so a grain DTO's property can be renamed, reordered or added without changing the JSON.
// The properties here, in this order, are the wire format (snake_case by ApiJson; the HTTP tests pin
// it). A session's context and its results, leases and directives are still the grain contract's
// types on the wire.

/// <summary>A session as the API shows it.</summary>
public sealed record SessionResponse(
    Guid Id,
    string AgentName,
    string Purpose,
    SessionContext Context,
    SessionStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    Guid? ParentSession,
    IReadOnlyList<Guid> ChildSessions,
    string? HandoffTo,
    string? Error,
    string? AgentId,
    long AgentEpoch)
{
    public static SessionResponse From(SessionSnapshot session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(session.Id, session.AgentName, session.Purpose, session.Context, session.Status, session.CreatedAt, session.UpdatedAt,
            session.EndedAt, session.ParentSession, session.ChildSessions, session.HandoffTo, session.Error, session.AgentId, session.AgentEpoch);
    }

    public static List<SessionResponse> From(IEnumerable<SessionSnapshot> sessions) => [.. sessions.Select(From)];
}

/// <summary>A session without its context, as lineage and descendant listings show it unless asked for contexts.</summary>
public sealed record SessionSummaryResponse(
    Guid Id,
    string AgentName,
    string Purpose,
    SessionStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    Guid? ParentSession,
    IReadOnlyList<Guid> ChildSessions,
    string? HandoffTo,
    string? Error,
    string? AgentId,
    long AgentEpoch,
    Phase CurrentPhase)
{
    public static SessionSummaryResponse From(SessionSummary session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(session.Id, session.AgentName, session.Purpose, session.Status, session.CreatedAt, session.UpdatedAt, session.EndedAt,
            session.ParentSession, session.ChildSessions, session.HandoffTo, session.Error, session.AgentId, session.AgentEpoch, session.CurrentPhase);
    }

    public static List<SessionSummaryResponse> From(IEnumerable<SessionSummary> sessions) => [.. sessions.Select(From)];
}

/// <summary>One page of the session listing, newest first.</summary>
public sealed record SessionPageResponse(IReadOnlyList<SessionResponse> Sessions, string? NextCursor)
{
    public static SessionPageResponse From(SessionPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new(SessionResponse.From(page.Sessions), page.NextCursor);
    }
}

/// <summary>A discovered session with its lease, if it holds one.</summary>
public sealed record DiscoveredSessionResponse(SessionResponse Session, LeaseInfo? Lease);

/// <summary>One page of discovery results.</summary>
public sealed record DiscoveryPageResponse(IReadOnlyList<DiscoveredSessionResponse> Sessions, string? NextCursor)
{
    public static DiscoveryPageResponse From(DiscoveryPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new([.. page.Sessions.Select(s => new DiscoveredSessionResponse(SessionResponse.From(s.Session), s.Lease))], page.NextCursor);
    }
}

/// <summary>An agent as the API shows it.</summary>
public sealed record AgentResponse(
    string Id,
    string? DisplayName,
    IReadOnlyList<string> Specializations,
    AgentStatus Status,
    Guid? CurrentSession,
    long Epoch,
    string? Direction,
    long LastSequence,
    long AcknowledgedThrough,
    DateTimeOffset RegisteredAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? KillDeadline)
{
    public static AgentResponse From(AgentSnapshot agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new(agent.Id, agent.DisplayName, agent.Specializations, agent.Status, agent.CurrentSession, agent.Epoch, agent.Direction,
            agent.LastSequence, agent.AcknowledgedThrough, agent.RegisteredAt, agent.UpdatedAt, agent.KillDeadline);
    }
}
