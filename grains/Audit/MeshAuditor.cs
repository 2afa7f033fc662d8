using SessionMesh.Agents;
using SessionMesh.Audit;
using SessionMesh.Errors;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Recovery;
using SessionMesh.Registry;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Audit;

/// <summary>
/// The audit's checks. Pages through the catalog, the registry and the leases (bounded pages, at
/// most <see cref="PageSize"/> grains read at a time), reads the grains those rows name, and
/// reports each broken invariant with its ids. It is a snapshot of a live mesh: an operation in
/// flight can show up once, so a violation that matters is one that a second run still reports.
/// </summary>
public sealed class MeshAuditor(IGrainFactory grains, IMeshAuditStore store, ISessionCatalog catalog)
{
    /// <summary>Rows per page and grains read concurrently per page.</summary>
    public const int PageSize = 200;

    public async Task<AuditReport> RunAsync(CancellationToken cancellationToken)
    {
        var violations = new List<AuditViolation>();
        var checkedCounts = new Dictionary<string, long>
        {
            ["sessions"] = await CheckSessionsAsync(violations, cancellationToken),
            ["agents"] = await CheckRegistryAsync(violations, cancellationToken),
            ["leases"] = await CheckLeasesAsync(violations, cancellationToken),
            ["counters"] = await CheckCountersAsync(violations, cancellationToken),
        };
        return new AuditReport(violations, checkedCounts);
    }

    public async Task<AuditRepair> RepairAsync(CancellationToken cancellationToken)
    {
        var before = await RunAsync(cancellationToken);
        var resumed = new List<AuditResumed>();
        foreach (var target in before.Violations.SelectMany(v => v.Resume).Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var grainId = target.Kind == AuditTargetKind.Session
                ? grains.GetGrain<ISessionGrain>(Guid.Parse(target.Id)).GetGrainId()
                : grains.GetGrain<IAgentGrain>(target.Id).GetGrainId();
            try
            {
                resumed.Add(new AuditResumed(target, await grains.GetGrain<IResumableGrain>(grainId).ResumeAsync(), null));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A grain that cannot resume (or does not record intents) is reported, not fatal: the rest still get their turn.
                resumed.Add(new AuditResumed(target, 0, $"{ex.GetType().Name}: {ex.Message}"));
            }
        }

        return new AuditRepair(before, resumed, await RunAsync(cancellationToken));
    }

    private async Task<long> CheckSessionsAsync(List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        long count = 0;
        Guid? after = null;
        while (true)
        {
            var page = await store.ListCatalogAsync(after, PageSize, cancellationToken);
            if (page.Count == 0)
            {
                return count;
            }

            after = page[^1].SessionId;
            count += page.Count;
            var sessions = await Task.WhenAll(page.Select(r => ReadSessionAsync(r.SessionId, cancellationToken)));
            var agentIds = sessions.Where(s => s is { Status: SessionStatus.Active, AgentId: not null }).Select(s => s!.AgentId!).Distinct(StringComparer.Ordinal);
            var agents = (await Task.WhenAll(agentIds.Select(id => ReadAgentAsync(id, cancellationToken))))
                .Where(a => a is not null).ToDictionary(a => a!.Id, a => a!, StringComparer.Ordinal);

            for (var i = 0; i < page.Count; i++)
            {
                var row = page[i];
                var session = sessions[i];
                if (session is null)
                {
                    violations.Add(Violation(AuditRules.CatalogStatusMismatch, [Id(row.SessionId)],
                        $"the catalog lists session {Id(row.SessionId)} as {row.Status}, but no such session exists", Session(row.SessionId)));
                    continue;
                }

                if (session.Status != row.Status && await StillDiffersAsync(row.SessionId, cancellationToken))
                {
                    violations.Add(Violation(AuditRules.CatalogStatusMismatch, [Id(row.SessionId)],
                        $"the catalog says {row.Status}, the session says {session.Status}", Session(row.SessionId)));
                }

                if (session is { Status: SessionStatus.Active, AgentId: { } agentId } && agents.TryGetValue(agentId, out var agent) && agent.Status == AgentStatus.Killed)
                {
                    violations.Add(Violation(AuditRules.ActiveSessionOfKilledAgent, [Id(session.Id), agentId],
                        $"session {Id(session.Id)} is Active but its agent {agentId} is Killed", Agent(agentId), Session(session.Id)));
                }

                await CheckLineageAsync(session, violations, cancellationToken);
            }
        }
    }

    private async Task CheckLineageAsync(SessionSnapshot session, List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        if (session.Status == SessionStatus.HandedOff)
        {
            var children = await Task.WhenAll(session.ChildSessions.Select(c => ReadSessionAsync(c, cancellationToken)));
            if (!children.Any(c => c is not null && c.ParentSession == session.Id))
            {
                violations.Add(Violation(AuditRules.HandoffWithoutChild, [Id(session.Id), .. session.ChildSessions.Select(Id)],
                    session.ChildSessions.Count == 0
                        ? $"session {Id(session.Id)} is HandedOff but lists no child"
                        : $"session {Id(session.Id)} is HandedOff but none of its listed children exists with it as parent",
                    Session(session.Id)));
            }
        }

        if (session.ParentSession is { } parentId)
        {
            var parent = await ReadSessionAsync(parentId, cancellationToken);
            if (parent is null || !parent.ChildSessions.Contains(session.Id))
            {
                violations.Add(Violation(AuditRules.OrphanedChild, [Id(session.Id), Id(parentId)],
                    parent is null
                        ? $"session {Id(session.Id)} names parent {Id(parentId)}, which does not exist"
                        : $"session {Id(session.Id)} names parent {Id(parentId)} ({parent.Status}), which does not list it as a child",
                    Session(parentId), Session(session.Id)));
            }
        }
    }

    private async Task<long> CheckRegistryAsync(List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        long count = 0;
        foreach (var specialization in await grains.GetGrain<ISpecializationDirectoryGrain>(0).ListAsync(cancellationToken))
        {
            string? after = null;
            while (true)
            {
                var page = await grains.GetGrain<ISpecializationGrain>(specialization.Specialization).ListAsync(after, PageSize, cancellationToken);
                if (page.Count == 0)
                {
                    break;
                }

                after = page[^1].AgentId;
                var agents = await Task.WhenAll(page.Select(r => ReadAgentAsync(r.AgentId, cancellationToken)));
                for (var i = 0; i < page.Count; i++)
                {
                    var registered = page[i];
                    var agent = agents[i];
                    if (agent is null || agent.Status != registered.Status)
                    {
                        violations.Add(Violation(AuditRules.RegistryStatusMismatch, [registered.AgentId, specialization.Specialization],
                            agent is null
                                ? $"registry '{specialization.Specialization}' lists agent {registered.AgentId} as {registered.Status}, but no such agent exists"
                                : $"registry '{specialization.Specialization}' says {registered.Status}, agent {registered.AgentId} says {agent.Status}",
                            Agent(registered.AgentId)));
                    }

                    // An agent in several registries is counted and its directives checked once: in its first.
                    if (agent is not null && agent.Specializations.Count > 0 && agent.Specializations[0] == specialization.Specialization)
                    {
                        count++;
                        await CheckDirectivesAsync(agent, violations, cancellationToken);
                    }
                }
            }
        }

        return count;
    }

    private async Task CheckDirectivesAsync(AgentSnapshot agent, List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        // Acknowledged directives may have been compacted away, so the kept ones must be consecutive
        // and end at the agent's last sequence number.
        var agentGrain = grains.GetGrain<IAgentGrain>(agent.Id);
        long? previous = null;
        long after = 0;
        string? problem = null;
        while (problem is null)
        {
            var page = await agentGrain.GetDirectivesAsync(after, 100, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var directive in page)
            {
                if (previous is { } p && directive.Sequence != p + 1)
                {
                    problem = $"directive {directive.Sequence} follows {p}";
                    break;
                }

                previous = directive.Sequence;
            }

            after = page[^1].Sequence;
        }

        problem ??= previous is { } last && last != agent.LastSequence
            ? $"the last directive is {last} but the agent's last sequence is {agent.LastSequence}"
            : agent.AcknowledgedThrough > agent.LastSequence
                ? $"acknowledged through {agent.AcknowledgedThrough}, beyond the last sequence {agent.LastSequence}"
                : null;
        if (problem is not null)
        {
            violations.Add(Violation(AuditRules.DirectiveSequenceGap, [agent.Id], $"agent {agent.Id}: {problem}", Agent(agent.Id)));
        }
    }

    private async Task<long> CheckLeasesAsync(List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        long count = 0;
        LeaseKey? after = null;
        while (true)
        {
            var page = await store.ListLeasesAsync(after, PageSize, cancellationToken);
            if (page.Count == 0)
            {
                return count;
            }

            after = page[^1];
            count += page.Count;
            var sessionLeases = page.Where(k => k.Kind == LeaseKind.Session && Guid.TryParseExact(k.Id, "N", out _)).Select(k => Guid.ParseExact(k.Id, "N")).ToList();
            var sessions = await Task.WhenAll(sessionLeases.Select(id => ReadSessionAsync(id, cancellationToken)));
            for (var i = 0; i < sessionLeases.Count; i++)
            {
                if (sessions[i] is not { Status: SessionStatus.Active } && await store.IsLeaseStoredAsync(LeaseKey.ForSession(sessionLeases[i]), cancellationToken))
                {
                    violations.Add(Violation(AuditRules.LeaseOfEndedSession, [Id(sessionLeases[i])],
                        $"a lease is held for session {Id(sessionLeases[i])}, which is {sessions[i]?.Status.ToString() ?? "missing"}", Session(sessionLeases[i])));
                }
            }
        }
    }

    private async Task<long> CheckCountersAsync(List<AuditViolation> violations, CancellationToken cancellationToken)
    {
        var counts = await store.CountByStatusAsync(cancellationToken);
        foreach (var count in counts.Where(c => c.Counter != c.Rows))
        {
            violations.Add(Violation(AuditRules.CounterMismatch, [count.Status.ToString()],
                $"the {count.Status} counter says {count.Counter}, the catalog holds {count.Rows} {count.Status} sessions"));
        }

        return counts.Count;
    }

    /// <summary>A session whose catalog row and state differed on the first read: is it still so (not a transition in flight)?</summary>
    private async Task<bool> StillDiffersAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var recorded = await catalog.GetRecordedStatusAsync(sessionId, cancellationToken);
        var session = await ReadSessionAsync(sessionId, cancellationToken);
        return session?.Status != recorded;
    }

    private async Task<SessionSnapshot?> ReadSessionAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        try
        {
            return await grains.GetGrain<ISessionGrain>(sessionId).GetAsync(cancellationToken);
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    }

    private async Task<AgentSnapshot?> ReadAgentAsync(string agentId, CancellationToken cancellationToken)
    {
        try
        {
            return await grains.GetGrain<IAgentGrain>(agentId).GetAsync(cancellationToken);
        }
        catch (AgentNotFoundException)
        {
            return null;
        }
    }

    private static string Id(Guid id) => id.ToString();

    private static AuditTarget Session(Guid id) => new(AuditTargetKind.Session, id.ToString());

    private static AuditTarget Agent(string id) => new(AuditTargetKind.Agent, id);

    private static AuditViolation Violation(string rule, IReadOnlyList<string> ids, string detail, params AuditTarget[] resume) => new(rule, ids, detail, resume);
}
