namespace SessionMesh.Contracts;

// What the HTTP API (and the MCP tools) answer, and a session's context as it is sent and answered:
// the wire's own records, shared by the silo (which maps its grain contracts to them) and the CLI
// (which reads them), so a grain DTO's property can be renamed, reordered or added without changing
// the JSON. The properties here, in this order, are the wire format (snake_case and enums by name,
// see WireJson; WireFormatTests pins it).

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
    long AgentEpoch);

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
    Phase CurrentPhase);

/// <summary>One page of the session listing, newest first.</summary>
public sealed record SessionPageResponse(IReadOnlyList<SessionResponse> Sessions, string? NextCursor);

/// <summary>A discovered session with its lease, if it holds one.</summary>
public sealed record DiscoveredSessionResponse(SessionResponse Session, LeaseResponse? Lease);

/// <summary>One page of discovery results.</summary>
public sealed record DiscoveryPageResponse(IReadOnlyList<DiscoveredSessionResponse> Sessions, string? NextCursor);

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
    DateTimeOffset? KillDeadline);

/// <summary>A heartbeat lease: its key (with the shard that tracks it), TTL, last heartbeat, expiry and health.</summary>
public sealed record LeaseResponse(
    LeaseKeyResponse Key,
    long Epoch,
    TimeSpan Ttl,
    DateTimeOffset LastHeartbeat,
    DateTimeOffset ExpiresAt,
    LeaseHealth Health,
    DateTimeOffset? ProgressAt,
    bool Stalled);

/// <summary>Whose lease it is, and the liveness shard that tracks it.</summary>
public sealed record LeaseKeyResponse(LeaseKind Kind, string Id, int Shard);

/// <summary>A steer or kill directive as its agent receives it.</summary>
public sealed record DirectiveResponse(long Sequence, DirectiveKind Kind, string Direction, string? Message, DateTimeOffset IssuedAt);

/// <summary>An agent of a specialization with its lease, if it holds one.</summary>
public sealed record FoundAgentResponse(string AgentId, AgentStatus Status, LeaseResponse? Lease);

/// <summary>A specialization and how many agents it lists.</summary>
public sealed record SpecializationResponse(string Specialization, int Agents);

/// <summary>Counts across the mesh.</summary>
public sealed record StatsResponse(SessionCountsResponse Sessions, long SessionsExpired, long AgentsLost, long AgentsKilled);

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
    int Depth);

/// <summary>A topology event with its sequence in the log.</summary>
public sealed record LoggedEventResponse(long Sequence, EventResponse Event);

/// <summary>What happened, to whom, when.</summary>
public sealed record EventResponse(TopologyEventKind Kind, string Subject, string? Detail, DateTimeOffset At);

/// <summary>One line of a session's output.</summary>
public sealed record LogLineResponse(long Sequence, DateTimeOffset At, string Stream, string Text);

/// <summary>The audit's answer: every violation found, and how many of each thing were checked.</summary>
public sealed record AuditResponse(IReadOnlyList<AuditViolationResponse> Violations, IReadOnlyDictionary<string, long> Checked);

/// <summary>One broken invariant, the ids it concerns and the grains a repair asks to resume.</summary>
public sealed record AuditViolationResponse(string Rule, IReadOnlyList<string> Ids, string Detail, IReadOnlyList<AuditTargetResponse> Resume);

/// <summary>A session or agent a repair asks to resume.</summary>
public sealed record AuditTargetResponse(AuditTargetKind Kind, string Id);

/// <summary>What a repair did: the audit before, each grain resumed and how it answered, the audit after.</summary>
public sealed record AuditRepairResponse(AuditResponse Before, IReadOnlyList<AuditResumedResponse> Resumed, AuditResponse After);

/// <summary>A grain asked to resume: how many recorded intents it finished, or why it could not.</summary>
public sealed record AuditResumedResponse(AuditTargetResponse Target, int IntentsFinished, string? Error);

/// <summary>
/// A session's context on the wire, in requests and answers alike; results are told apart by their
/// "type" (WireJson). Nulls are carried through to the grain's rules, which name them.
/// </summary>
public sealed record ContextBody
{
    public ulong? IssueNumber { get; init; }

    public Phase CurrentPhase { get; init; }

    public string? WorktreePath { get; init; }

    public IReadOnlyList<ResultBody> PreviousResults { get; init; } = [];
}

/// <summary>One agent's result on the wire.</summary>
public abstract record ResultBody;

/// <summary>type "issue_analysis".</summary>
public sealed record IssueAnalysisBody(string Complexity, TimeSpan EstimatedDuration) : ResultBody;

/// <summary>type "task_decomposition".</summary>
public sealed record TaskDecompositionBody(IReadOnlyList<string> Tasks) : ResultBody;

/// <summary>type "code_generation".</summary>
public sealed record CodeGenerationBody(double Confidence, int SuccessfulWorlds) : ResultBody;

/// <summary>type "review".</summary>
public sealed record ReviewBody(double QualityScore, int IssuesFound) : ResultBody;

/// <summary>type "generic".</summary>
public sealed record GenericBody(string Name, string JsonPayload) : ResultBody;

// The wire's enums: named as the grain contract's, value for value (a test holds them in step), so
// the edge maps one to the other by value; on the wire they travel by name.

/// <summary>The pipeline phase a session works on.</summary>
public enum Phase
{
    IssueAnalysis = 0,
    TaskDecomposition = 1,
    WorktreeCreation = 2,
    CodeGeneration = 3,
    Review = 4,
    Test = 5,
    PullRequest = 6,
    CICD = 7,
    Merge = 8,
}

/// <summary>Where a session is in its life.</summary>
public enum SessionStatus
{
    Active = 0,
    HandedOff = 1,
    Completed = 2,
    Failed = 3,
}

/// <summary>Where an agent is in its life.</summary>
public enum AgentStatus
{
    Idle = 0,
    Busy = 1,
    Draining = 2,
    Killed = 3,
    Lost = 4,
}

/// <summary>Whose lease it is.</summary>
public enum LeaseKind
{
    Session = 0,
    Agent = 1,
}

/// <summary>How a lease is doing.</summary>
public enum LeaseHealth
{
    Alive = 0,
    Stale = 1,
    Stalled = 2,
}

/// <summary>What a directive asks.</summary>
public enum DirectiveKind
{
    Steer = 0,
    Kill = 1,
}

/// <summary>What a session key may do.</summary>
public enum KeyScope
{
    Admin = 0,
    Operator = 1,
    Agent = 2,
}

/// <summary>What happened in the mesh.</summary>
public enum TopologyEventKind
{
    SessionSpawned = 0,
    SessionHandedOff = 1,
    SessionCompleted = 2,
    SessionFailed = 3,
    SessionExpired = 4,
    AgentRegistered = 5,
    AgentSteered = 6,
    AgentKilled = 7,
    AgentLost = 8,
}

/// <summary>What a grain named by an audit violation is.</summary>
public enum AuditTargetKind
{
    Session = 0,
    Agent = 1,
}
