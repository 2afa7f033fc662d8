namespace SessionMesh.Audit;

/// <summary>The rules the audit checks; a violation names one of them.</summary>
public static class AuditRules
{
    /// <summary>An Active session run by an agent that is Killed.</summary>
    public const string ActiveSessionOfKilledAgent = "active-session-of-killed-agent";

    /// <summary>A specialization registry holds a status other than the agent's own.</summary>
    public const string RegistryStatusMismatch = "registry-status-mismatch";

    /// <summary>A per-status counter differs from the number of catalog rows with that status.</summary>
    public const string CounterMismatch = "counter-mismatch";

    /// <summary>The catalog holds a status other than the session grain's own (or a row for no session).</summary>
    public const string CatalogStatusMismatch = "catalog-status-mismatch";

    /// <summary>A HandedOff session without a child that names it as parent.</summary>
    public const string HandoffWithoutChild = "handoff-without-child";

    /// <summary>A session naming a parent that does not list it as a child.</summary>
    public const string OrphanedChild = "orphaned-child";

    /// <summary>A liveness lease held for a session that is no longer Active.</summary>
    public const string LeaseOfEndedSession = "lease-of-ended-session";

    /// <summary>An agent's directive sequence numbers skip, repeat, or disagree with its last sequence.</summary>
    public const string DirectiveSequenceGap = "directive-sequence-gap";
}

/// <summary>One broken invariant and the ids (session ids, agent ids, specializations) it concerns.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.audit-violation")]
public sealed record AuditViolation(
    [property: Id(0)] string Rule,
    [property: Id(1)] IReadOnlyList<string> Ids,
    [property: Id(2)] string Detail,
    [property: Id(3)] IReadOnlyList<AuditTarget> Resume);

/// <summary>What a grain named by a violation is: a session or an agent.</summary>
[GenerateSerializer, Alias("sessionmesh.audit-target-kind")]
public enum AuditTargetKind
{
    Session = 0,
    Agent = 1,
}

/// <summary>A grain that <c>doctor --repair</c> asks to resume its recorded intents.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.audit-target")]
public sealed record AuditTarget([property: Id(0)] AuditTargetKind Kind, [property: Id(1)] string Id);

/// <summary>The audit's answer: every violation found, and how many of each thing were checked.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.audit-report")]
public sealed record AuditReport(
    [property: Id(0)] IReadOnlyList<AuditViolation> Violations,
    [property: Id(1)] IReadOnlyDictionary<string, long> Checked);

/// <summary>A grain asked to resume, and how it answered.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.audit-resumed")]
public sealed record AuditResumed(
    [property: Id(0)] AuditTarget Target,
    [property: Id(1)] int IntentsFinished,
    [property: Id(2)] string? Error);

/// <summary>What <c>doctor --repair</c> did: the audit before, each grain resumed, the audit after.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.audit-repair")]
public sealed record AuditRepair(
    [property: Id(0)] AuditReport Before,
    [property: Id(1)] IReadOnlyList<AuditResumed> Resumed,
    [property: Id(2)] AuditReport After);
