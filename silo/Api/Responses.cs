using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Keys;
using SessionMesh.Liveness;
using SessionMesh.Logs;
using SessionMesh.Registry;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Api;

// What the API (and the MCP tools) answer: records of the edge, mapped from the grain contracts,
// so a grain DTO's property can be renamed, reordered or added without changing the JSON. The
// properties here, in this order, are the wire format (snake_case by ApiJson; WireFormatTests pins
// it). A session's context and results (ContextBody, ResultBody) are both read and answered.

/// <summary>A session as the API shows it.</summary>
public sealed record SessionResponse(
    Guid Id,
    string AgentName,
    string Purpose,
    ContextBody Context,
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
        return new(session.Id, session.AgentName, session.Purpose, ContextBody.From(session.Context), session.Status, session.CreatedAt, session.UpdatedAt,
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
public sealed record DiscoveredSessionResponse(SessionResponse Session, LeaseResponse? Lease);

/// <summary>One page of discovery results.</summary>
public sealed record DiscoveryPageResponse(IReadOnlyList<DiscoveredSessionResponse> Sessions, string? NextCursor)
{
    public static DiscoveryPageResponse From(DiscoveryPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new([.. page.Sessions.Select(s => new DiscoveredSessionResponse(SessionResponse.From(s.Session), LeaseResponse.From(s.Lease)))], page.NextCursor);
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

/// <summary>A heartbeat lease: its key (with the shard that tracks it), TTL, last heartbeat, expiry and health.</summary>
public sealed record LeaseResponse(
    LeaseKeyResponse Key,
    long Epoch,
    TimeSpan Ttl,
    DateTimeOffset LastHeartbeat,
    DateTimeOffset ExpiresAt,
    LeaseHealth Health,
    DateTimeOffset? ProgressAt,
    bool Stalled)
{
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(lease))]
    public static LeaseResponse? From(LeaseInfo? lease) => lease is null ? null
        : new(new(lease.Key.Kind, lease.Key.Id, lease.Key.Shard), lease.Epoch, lease.Ttl, lease.LastHeartbeat, lease.ExpiresAt, lease.Health, lease.ProgressAt, lease.Stalled);
}

/// <summary>Whose lease it is, and the liveness shard that tracks it.</summary>
public sealed record LeaseKeyResponse(LeaseKind Kind, string Id, int Shard);

/// <summary>A steer or kill directive as its agent receives it.</summary>
public sealed record DirectiveResponse(long Sequence, DirectiveKind Kind, string Direction, string? Message, DateTimeOffset IssuedAt)
{
    public static DirectiveResponse From(Directive directive)
    {
        ArgumentNullException.ThrowIfNull(directive);
        return new(directive.Sequence, directive.Kind, directive.Direction, directive.Message, directive.IssuedAt);
    }
}

/// <summary>An agent of a specialization with its lease, if it holds one.</summary>
public sealed record FoundAgentResponse(string AgentId, AgentStatus Status, LeaseResponse? Lease)
{
    public static FoundAgentResponse From(FoundAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new(agent.AgentId, agent.Status, LeaseResponse.From(agent.Lease));
    }
}

/// <summary>A specialization and how many agents it lists.</summary>
public sealed record SpecializationResponse(string Specialization, int Agents)
{
    public static SpecializationResponse From(SpecializationCount count)
    {
        ArgumentNullException.ThrowIfNull(count);
        return new(count.Specialization, count.Agents);
    }
}

/// <summary>Counts across the mesh.</summary>
public sealed record StatsResponse(SessionCountsResponse Sessions, long SessionsExpired, long AgentsLost, long AgentsKilled)
{
    public static StatsResponse From(MeshStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var s = stats.Sessions;
        return new(new(s.Total, s.Active, s.HandedOff, s.Completed, s.Failed), stats.SessionsExpired, stats.AgentsLost, stats.AgentsKilled);
    }
}

/// <summary>Sessions by status.</summary>
public sealed record SessionCountsResponse(long Total, long Active, long HandedOff, long Completed, long Failed);

/// <summary>A session key as listed (never its secret).</summary>
public sealed record KeyResponse(
    string KeyId,
    IReadOnlyList<KeyScope> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool Revoked,
    string? AgentId,
    Guid? SessionId,
    string? Label,
    string? ParentKeyId,
    int Depth)
{
    public static KeyResponse From(KeyInfo key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.KeyId, key.Scopes, key.CreatedAt, key.ExpiresAt, key.Revoked, key.AgentId, key.SessionId, key.Label, key.ParentKeyId, key.Depth);
    }
}

/// <summary>A topology event with its sequence in the log.</summary>
public sealed record LoggedEventResponse(long Sequence, EventResponse Event)
{
    public static LoggedEventResponse From(LoggedTopologyEvent logged)
    {
        ArgumentNullException.ThrowIfNull(logged);
        var e = logged.Event;
        return new(logged.Sequence, new(e.Kind, e.Subject, e.Detail, e.At));
    }
}

/// <summary>What happened, to whom, when.</summary>
public sealed record EventResponse(TopologyEventKind Kind, string Subject, string? Detail, DateTimeOffset At);

/// <summary>One line of a session's output.</summary>
public sealed record LogLineResponse(long Sequence, DateTimeOffset At, string Stream, string Text)
{
    public static LogLineResponse From(LogLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return new(line.Sequence, line.At, line.Stream, line.Text);
    }
}

/// <summary>The audit's answer: every violation found, and how many of each thing were checked.</summary>
public sealed record AuditResponse(IReadOnlyList<AuditViolationResponse> Violations, IReadOnlyDictionary<string, long> Checked)
{
    public static AuditResponse From(Audit.AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new([.. report.Violations.Select(v => new AuditViolationResponse(v.Rule, v.Ids, v.Detail, [.. v.Resume.Select(AuditTargetResponse.From)]))], report.Checked);
    }
}

/// <summary>One broken invariant, the ids it concerns and the grains a repair asks to resume.</summary>
public sealed record AuditViolationResponse(string Rule, IReadOnlyList<string> Ids, string Detail, IReadOnlyList<AuditTargetResponse> Resume);

/// <summary>A session or agent a repair asks to resume.</summary>
public sealed record AuditTargetResponse(Audit.AuditTargetKind Kind, string Id)
{
    public static AuditTargetResponse From(Audit.AuditTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(target.Kind, target.Id);
    }
}

/// <summary>What a repair did: the audit before, each grain resumed and how it answered, the audit after.</summary>
public sealed record AuditRepairResponse(AuditResponse Before, IReadOnlyList<AuditResumedResponse> Resumed, AuditResponse After)
{
    public static AuditRepairResponse From(Audit.AuditRepair repair)
    {
        ArgumentNullException.ThrowIfNull(repair);
        return new(AuditResponse.From(repair.Before), [.. repair.Resumed.Select(r => new AuditResumedResponse(AuditTargetResponse.From(r.Target), r.IntentsFinished, r.Error))], AuditResponse.From(repair.After));
    }
}

/// <summary>A grain asked to resume: how many recorded intents it finished, or why it could not.</summary>
public sealed record AuditResumedResponse(AuditTargetResponse Target, int IntentsFinished, string? Error);

/// <summary>
/// A session's context on the wire, in requests and answers alike; results are told apart by their
/// "type" (ApiJson). Nulls are carried through to the grain's rules, which name them.
/// </summary>
public sealed record ContextBody
{
    public ulong? IssueNumber { get; init; }

    public Phase CurrentPhase { get; init; }

    public string? WorktreePath { get; init; }

    public IReadOnlyList<ResultBody> PreviousResults { get; init; } = [];

    public SessionContext ToContext() => new()
    {
        IssueNumber = IssueNumber,
        CurrentPhase = CurrentPhase,
        WorktreePath = WorktreePath,
        PreviousResults = PreviousResults is null ? null! : [.. PreviousResults.Select(r => r?.ToResult()!)],
    };

    public static ContextBody From(SessionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new()
        {
            IssueNumber = context.IssueNumber,
            CurrentPhase = context.CurrentPhase,
            WorktreePath = context.WorktreePath,
            PreviousResults = [.. context.PreviousResults.Select(ResultBody.From)],
        };
    }
}

/// <summary>One agent's result on the wire.</summary>
public abstract record ResultBody
{
    public abstract AgentResult ToResult();

    public static ResultBody From(AgentResult result) => result switch
    {
        IssueAnalysisResult r => new IssueAnalysisBody(r.Complexity, r.EstimatedDuration),
        TaskDecompositionResult r => new TaskDecompositionBody(r.Tasks),
        CodeGenerationResult r => new CodeGenerationBody(r.Confidence, r.SuccessfulWorlds),
        ReviewResult r => new ReviewBody(r.QualityScore, r.IssuesFound),
        GenericResult r => new GenericBody(r.Name, r.JsonPayload),
        _ => throw new NotSupportedException($"'{result?.GetType().Name}' is not a result kind the API shows."),
    };
}

/// <summary>type "issue_analysis".</summary>
public sealed record IssueAnalysisBody(string Complexity, TimeSpan EstimatedDuration) : ResultBody
{
    public override AgentResult ToResult() => new IssueAnalysisResult(Complexity, EstimatedDuration);
}

/// <summary>type "task_decomposition".</summary>
public sealed record TaskDecompositionBody(IReadOnlyList<string> Tasks) : ResultBody
{
    public override AgentResult ToResult() => new TaskDecompositionResult(Tasks);
}

/// <summary>type "code_generation".</summary>
public sealed record CodeGenerationBody(double Confidence, int SuccessfulWorlds) : ResultBody
{
    public override AgentResult ToResult() => new CodeGenerationResult(Confidence, SuccessfulWorlds);
}

/// <summary>type "review".</summary>
public sealed record ReviewBody(double QualityScore, int IssuesFound) : ResultBody
{
    public override AgentResult ToResult() => new ReviewResult(QualityScore, IssuesFound);
}

/// <summary>type "generic".</summary>
public sealed record GenericBody(string Name, string JsonPayload) : ResultBody
{
    public override AgentResult ToResult() => new GenericResult(Name, JsonPayload);
}
