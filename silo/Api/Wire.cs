using System.Diagnostics.CodeAnalysis;
using SessionMesh.Contracts;
using C = SessionMesh.Contracts;
using G = SessionMesh;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The one place grain contracts become the wire's records (contracts/Responses.cs) and a context
/// sent on the wire becomes the grain's. Enums map by value: the wire's are the grain contract's,
/// member for member (a test holds them in step).
/// </summary>
public static class Wire
{
    public static SessionResponse Session(G.Sessions.SessionSnapshot session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(session.Id, session.AgentName, session.Purpose, Context(session.Context), (C.SessionStatus)session.Status, session.CreatedAt, session.UpdatedAt,
            session.EndedAt, session.ParentSession, session.ChildSessions, session.HandoffTo, session.Error, session.AgentId, session.AgentEpoch);
    }

    public static List<SessionResponse> Session(IEnumerable<G.Sessions.SessionSnapshot> sessions) => [.. sessions.Select(Session)];

    public static SessionSummaryResponse Summary(G.Sessions.SessionSummary session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(session.Id, session.AgentName, session.Purpose, (C.SessionStatus)session.Status, session.CreatedAt, session.UpdatedAt, session.EndedAt,
            session.ParentSession, session.ChildSessions, session.HandoffTo, session.Error, session.AgentId, session.AgentEpoch, (C.Phase)session.CurrentPhase);
    }

    public static List<SessionSummaryResponse> Summary(IEnumerable<G.Sessions.SessionSummary> sessions) => [.. sessions.Select(Summary)];

    public static SessionPageResponse SessionPage(G.Sessions.SessionPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new(Session(page.Sessions), page.NextCursor);
    }

    public static DiscoveryPageResponse DiscoveryPage(G.Discovery.DiscoveryPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new([.. page.Sessions.Select(s => new DiscoveredSessionResponse(Session(s.Session), Lease(s.Lease)))], page.NextCursor);
    }

    public static AgentResponse Agent(G.Agents.AgentSnapshot agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new(agent.Id, agent.DisplayName, agent.Specializations, (C.AgentStatus)agent.Status, agent.CurrentSession, agent.Epoch, agent.Direction,
            agent.LastSequence, agent.AcknowledgedThrough, agent.RegisteredAt, agent.UpdatedAt, agent.KillDeadline);
    }

    [return: NotNullIfNotNull(nameof(lease))]
    public static LeaseResponse? Lease(G.Liveness.LeaseInfo? lease) => lease is null ? null
        : new(new((C.LeaseKind)lease.Key.Kind, lease.Key.Id, lease.Key.Shard), lease.Epoch, lease.Ttl, lease.LastHeartbeat, lease.ExpiresAt, (C.LeaseHealth)lease.Health, lease.ProgressAt, lease.Stalled);

    public static DirectiveResponse Directive(G.Agents.Directive directive)
    {
        ArgumentNullException.ThrowIfNull(directive);
        return new(directive.Sequence, (C.DirectiveKind)directive.Kind, directive.Direction, directive.Message, directive.IssuedAt);
    }

    public static FoundAgentResponse FoundAgent(G.Discovery.FoundAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new(agent.AgentId, (C.AgentStatus)agent.Status, Lease(agent.Lease));
    }

    public static SpecializationResponse Specialization(G.Registry.SpecializationCount count)
    {
        ArgumentNullException.ThrowIfNull(count);
        return new(count.Specialization, count.Agents);
    }

    public static StatsResponse Stats(G.Discovery.MeshStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var s = stats.Sessions;
        return new(new(s.Total, s.Active, s.HandedOff, s.Completed, s.Failed), stats.SessionsExpired, stats.AgentsLost, stats.AgentsKilled);
    }

    public static KeyResponse Key(G.Keys.KeyInfo key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.KeyId, Scopes(key.Scopes), key.CreatedAt, key.ExpiresAt, key.Revoked, key.AgentId, key.SessionId, key.Label, key.ParentKeyId, key.Depth);
    }

    public static List<C.KeyScope> Scopes(IEnumerable<G.Keys.KeyScope> scopes) => [.. scopes.Select(s => (C.KeyScope)s)];

    public static LoggedEventResponse Event(G.Topology.LoggedTopologyEvent logged)
    {
        ArgumentNullException.ThrowIfNull(logged);
        var e = logged.Event;
        return new(logged.Sequence, new((C.TopologyEventKind)e.Kind, e.Subject, e.Detail, e.At));
    }

    public static LogLineResponse LogLine(G.Logs.LogLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return new(line.Sequence, line.At, line.Stream, line.Text);
    }

    public static AuditResponse Audit(G.Audit.AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new([.. report.Violations.Select(v => new AuditViolationResponse(v.Rule, v.Ids, v.Detail, [.. v.Resume.Select(AuditTarget)]))], report.Checked);
    }

    public static AuditRepairResponse Repair(G.Audit.AuditRepair repair)
    {
        ArgumentNullException.ThrowIfNull(repair);
        return new(Audit(repair.Before), [.. repair.Resumed.Select(r => new AuditResumedResponse(AuditTarget(r.Target), r.IntentsFinished, r.Error))], Audit(repair.After));
    }

    private static AuditTargetResponse AuditTarget(G.Audit.AuditTarget target) => new((C.AuditTargetKind)target.Kind, target.Id);

    private static ContextBody Context(G.Sessions.SessionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new()
        {
            IssueNumber = context.IssueNumber,
            CurrentPhase = (C.Phase)context.CurrentPhase,
            WorktreePath = context.WorktreePath,
            PreviousResults = [.. context.PreviousResults.Select(Result)],
        };
    }

    private static ResultBody Result(G.Sessions.AgentResult result) => result switch
    {
        G.Sessions.IssueAnalysisResult r => new IssueAnalysisBody(r.Complexity, r.EstimatedDuration),
        G.Sessions.TaskDecompositionResult r => new TaskDecompositionBody(r.Tasks),
        G.Sessions.CodeGenerationResult r => new CodeGenerationBody(r.Confidence, r.SuccessfulWorlds),
        G.Sessions.ReviewResult r => new ReviewBody(r.QualityScore, r.IssuesFound),
        G.Sessions.GenericResult r => new GenericBody(r.Name, r.JsonPayload),
        _ => throw new NotSupportedException($"'{result?.GetType().Name}' is not a result kind the API shows."),
    };

    /// <summary>A context sent on the wire as the grain's; nulls are carried through to the grain's rules, which name them.</summary>
    public static G.Sessions.SessionContext ToGrain(this ContextBody context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new()
        {
            IssueNumber = context.IssueNumber,
            CurrentPhase = (G.Sessions.Phase)context.CurrentPhase,
            WorktreePath = context.WorktreePath,
            PreviousResults = context.PreviousResults is null ? null! : [.. context.PreviousResults.Select(r => r is null ? null! : ToGrain(r))],
        };
    }

    private static G.Sessions.AgentResult ToGrain(ResultBody result) => result switch
    {
        IssueAnalysisBody r => new G.Sessions.IssueAnalysisResult(r.Complexity, r.EstimatedDuration),
        TaskDecompositionBody r => new G.Sessions.TaskDecompositionResult(r.Tasks),
        CodeGenerationBody r => new G.Sessions.CodeGenerationResult(r.Confidence, r.SuccessfulWorlds),
        ReviewBody r => new G.Sessions.ReviewResult(r.QualityScore, r.IssuesFound),
        GenericBody r => new G.Sessions.GenericResult(r.Name, r.JsonPayload),
        _ => throw new NotSupportedException($"'{result.GetType().Name}' is not a result kind."),
    };
}
