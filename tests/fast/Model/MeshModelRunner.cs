using Orleans.Runtime;
using SessionMesh.Agents;
using SessionMesh.Audit;
using SessionMesh.Errors;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Model;

/// <summary>
/// Runs an operation sequence against a real cluster and a small reference model side by side.
/// After every operation the cluster must settle (within a generous bound, polled) to what the
/// model expects; operations whose outcome the model cannot know (a cancelled request, a refused
/// write, a race) must leave a state the model accepts — nothing, or all of it — which the model
/// then adopts. After the sequence the audit must come back clean for everything it touched.
/// </summary>
public sealed class MeshModelRunner(MeshCluster mesh, SteppingClock clock, int sequence)
{
    private static readonly TimeSpan SettleWithin = TimeSpan.FromSeconds(20);

    // Leases run out only when the model moves the silos' clock past them (ExpireLeasesOp): a lease
    // this long never runs out on its own while a sequence runs, so the model knows every expiry.
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly List<ModelSession> _sessions = [];

    /// <summary>Spawns whose caller gave up or failed: the session may exist, now or a moment later.</summary>
    private readonly List<ModelSession> _uncertainSpawns = [];
    private readonly ModelAgent[] _agents = [.. Enumerable.Range(0, MeshOps.AgentPool).Select(i => new ModelAgent($"model-{sequence}-{i}"))];
    private readonly List<string> _log = [];

    private string Specialization => $"model-{sequence}";

    public async Task RunAsync(IReadOnlyList<MeshOp> ops)
    {
        foreach (var op in ops)
        {
            _log.Add(op.ToString());
            await ApplyAsync(op);
            await SettleAsync(op);
        }

        // Let everything time-bound finish: leases run out, graceful kills pass their grace.
        ExpireLeases();
        await SettleAsync(null, final: true);
        await AssertAuditCleanAsync();
    }

    private async Task ApplyAsync(MeshOp op)
    {
        switch (op)
        {
            case CancelledOp cancelled:
                using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(cancelled.AfterMs)))
                {
                    await ExpectAnyAsync(() => ApplyPlainAsync(cancelled.Inner, cancel.Token), typeof(OperationCanceledException), typeof(SessionMeshException));
                }

                await AdoptAsync();
                break;
            case FaultedOp faulted:
                await mesh.ExecuteSqlAsync("""
                    CREATE TRIGGER model_refuse_updates BEFORE UPDATE ON OrleansStorage
                    BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
                    CREATE TRIGGER model_refuse_session_updates BEFORE UPDATE ON SessionCatalog
                    BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
                    """);
                try
                {
                    await ExpectAnyAsync(() => ApplyPlainAsync(faulted.Inner, CancellationToken.None), typeof(SessionMeshException));
                }
                finally
                {
                    await mesh.ExecuteSqlAsync("DROP TRIGGER model_refuse_updates; DROP TRIGGER model_refuse_session_updates;");
                }

                await AdoptAsync();
                break;
            case KillVsHandoffOp race:
                await RaceAsync(race);
                await AdoptAsync();
                break;
            case RestartSiloOp:
                await RestartSiloAsync();
                break;
            case ExpireLeasesOp:
                ExpireLeases();
                break;
            default:
                await ApplyPlainAsync(op, CancellationToken.None, model: true);
                break;
        }
    }

    /// <summary>One operation; with <paramref name="model"/> the reference model predicts its outcome and is updated.</summary>
    private async Task ApplyPlainAsync(MeshOp op, CancellationToken cancellationToken, bool model = false)
    {
        switch (op)
        {
            case SpawnOp spawn:
            {
                var agent = spawn.Agent >= 0 ? _agents[spawn.Agent] : null;
                if (agent is not null && (!agent.Registered || agent.Status is not AgentStatus.Idle))
                {
                    agent = null; // only an Idle agent gets a new session; else the session runs no agent
                }

                var id = Guid.NewGuid();
                if (!model)
                {
                    // Cancelled or faulted: the grain may finish the spawn after the caller stopped waiting.
                    _uncertainSpawns.Add(new ModelSession(id, agent?.Id, null));
                }

                var snapshot = await mesh.Client.GetGrain<ISessionGrain>(id).StartAsync(
                    new SessionSpawn { AgentName = "ModelAgent", Purpose = "model", AgentId = agent?.Id }, cancellationToken);
                _uncertainSpawns.RemoveAll(s => s.Id == id);
                Check(snapshot.Status == SessionStatus.Active, $"spawned session is {snapshot.Status}");
                _sessions.Add(new ModelSession(id, agent?.Id, null));
                if (agent is not null)
                {
                    agent.Status = AgentStatus.Busy;
                }

                break;
            }

            case HandoffOp handoff when Session(handoff.Session) is { } parent:
                if (model && parent.Status != SessionStatus.Active)
                {
                    await ExpectAsync<InvalidTransitionException>(() => mesh.Client.GetGrain<ISessionGrain>(parent.Id).HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent" }, cancellationToken));
                    break;
                }

                var child = await mesh.Client.GetGrain<ISessionGrain>(parent.Id).HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent" }, cancellationToken);
                Check(child.ParentSession == parent.Id, "the child names its parent");
                Record(parent, child.Id, null);
                break;

            case CompleteOp complete when Session(complete.Session) is { } session:
                await EndAsync(session, SessionStatus.Completed, model, s => s.CompleteAsync(cancellationToken));
                break;

            case FailOp fail when Session(fail.Session) is { } session:
                await EndAsync(session, SessionStatus.Failed, model, s => s.FailAsync("model failure", cancellationToken));
                break;

            case RegisterOp register:
            {
                var agent = _agents[register.Agent];
                if (model && agent.Status == AgentStatus.Killed)
                {
                    await ExpectAsync<InvalidTransitionException>(() => Agent(agent).RegisterAsync(Specialization, cancellationToken: cancellationToken));
                    break;
                }

                var snapshot = await Agent(agent).RegisterAsync(Specialization, cancellationToken: cancellationToken);
                if (!agent.Registered)
                {
                    agent.Registered = true;
                    agent.Status = AgentStatus.Idle;
                    agent.Epoch = snapshot.Epoch;
                }

                break;
            }

            case SteerOp steer:
            {
                var agent = _agents[steer.Agent];
                if (model && !agent.Registered)
                {
                    await ExpectAsync<AgentNotFoundException>(() => Agent(agent).SteerAsync("north", cancellationToken: cancellationToken));
                }
                else if (model && agent.Status is AgentStatus.Killed or AgentStatus.Draining)
                {
                    await ExpectAsync<InvalidTransitionException>(() => Agent(agent).SteerAsync("north", cancellationToken: cancellationToken));
                }
                else
                {
                    var directive = await Agent(agent).SteerAsync("north", cancellationToken: cancellationToken);
                    Check(!model || directive.Sequence == agent.LastSequence + 1, $"steer got sequence {directive.Sequence}, expected {agent.LastSequence + 1}");
                    agent.LastSequence = directive.Sequence;
                }

                break;
            }

            case AcknowledgeOp acknowledge:
            {
                var agent = _agents[acknowledge.Agent];
                if (!agent.Registered || agent.Status == AgentStatus.Killed || agent.LastSequence == 0)
                {
                    break;
                }

                try
                {
                    await Agent(agent).AcknowledgeAsync(agent.Epoch, agent.LastSequence, cancellationToken);
                }
                catch (StaleEpochException) when (agent.Status == AgentStatus.Draining)
                {
                    // The grace period ended first: the kill is final, the old epoch refused.
                }

                if (agent.Status == AgentStatus.Draining)
                {
                    agent.Status = AgentStatus.Killed; // acknowledging the kill directive completes it
                }

                break;
            }

            case KillOp kill:
            {
                var agent = _agents[kill.Agent];
                if (model && !agent.Registered)
                {
                    await ExpectAsync<AgentNotFoundException>(() => Agent(agent).KillAsync(new KillRequest { Force = kill.Force, Cascade = kill.Cascade, Grace = Grace }, cancellationToken));
                    break;
                }

                if (agent.Status == AgentStatus.Killed)
                {
                    break; // a killed agent stays killed; nothing more to predict
                }

                var wasDraining = agent.Status == AgentStatus.Draining;
                var snapshot = await Agent(agent).KillAsync(new KillRequest { Force = kill.Force, Cascade = kill.Cascade, Grace = Grace }, cancellationToken);
                agent.KillCascades |= kill.Cascade;
                if (kill.Force || snapshot.Status == AgentStatus.Killed)
                {
                    Check(snapshot.Status == AgentStatus.Killed, $"a forced kill left the agent {snapshot.Status}");
                    agent.Status = AgentStatus.Killed;
                }
                else
                {
                    agent.Status = AgentStatus.Draining;
                    Check(wasDraining || snapshot.LastSequence == agent.LastSequence + 1, $"a graceful kill issued sequence {snapshot.LastSequence}, expected the kill directive at {agent.LastSequence + 1}");
                    agent.LastSequence = snapshot.LastSequence;
                }

                break;
            }

            case HeartbeatOp heartbeat when Session(heartbeat.Session) is { } session:
            {
                var epoch = session.AgentId is { } agentId ? _agents.First(a => a.Id == agentId).Epoch : 0;
                if (session.Status != SessionStatus.Active)
                {
                    await ExpectAnyAsync(() => mesh.Agents.HeartbeatSessionAsync(session.Id, epoch, LeaseTtl, cancellationToken), typeof(SessionMeshException));
                    break;
                }

                try
                {
                    await mesh.Agents.HeartbeatSessionAsync(session.Id, epoch, LeaseTtl, cancellationToken);
                    session.Leased = true;
                }
                catch (Exception ex) when (ex is InvalidTransitionException or StaleEpochException)
                {
                    // The session's agent is being killed: no lease starts.
                }

                break;
            }
        }
    }

    private async Task EndAsync(ModelSession session, SessionStatus to, bool model, Func<ISessionGrain, Task<SessionSnapshot>> end)
    {
        var grain = mesh.Client.GetGrain<ISessionGrain>(session.Id);
        if (model && session.Status != SessionStatus.Active && !session.Leased)
        {
            await ExpectAsync<InvalidTransitionException>(() => end(grain));
            return;
        }

        try
        {
            await end(grain);
            session.Status = to;
            Release(session);
        }
        catch (InvalidTransitionException) when (!model)
        {
            // Cancelled or faulted: the model adopts what happened.
        }
    }

    /// <summary>A forced kill racing a handoff of the agent's session to a child run by the same agent.</summary>
    private async Task RaceAsync(KillVsHandoffOp race)
    {
        var agent = _agents[race.Agent];
        var session = _sessions.LastOrDefault(s => s.AgentId == agent.Id && s.Status == SessionStatus.Active);
        if (session is null || agent.Status is not (AgentStatus.Busy or AgentStatus.Idle))
        {
            return;
        }

        var kill = ExpectAnyAsync(() => Agent(agent).KillAsync(new KillRequest { Force = true }), typeof(InvalidTransitionException));
        var handoff = ExpectAnyAsync(() => mesh.Client.GetGrain<ISessionGrain>(session.Id).HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent", AgentId = agent.Id }), typeof(SessionMeshException));
        await Task.WhenAll(kill, handoff);
        agent.KillCascades = true;
    }

    private async Task RestartSiloAsync()
    {
        var silos = mesh.Cluster.Silos;
        if (silos.Count < 2)
        {
            return;
        }

        await mesh.Cluster.KillSiloAsync(silos[^1]);
        await mesh.Cluster.StartAdditionalSiloAsync();
    }

    /// <summary>After an operation with an unknown outcome: adopt the cluster's state, once it is one the model accepts.</summary>
    /// <summary>Takes into the model each uncertain spawn whose session now exists (see <see cref="_uncertainSpawns"/>).</summary>
    private async Task AdoptUncertainSpawnsAsync()
    {
        foreach (var spawn in _uncertainSpawns.ToList())
        {
            if (await ReadSessionAsync(spawn.Id) is { } stored)
            {
                spawn.Status = stored.Status;
                _sessions.Add(spawn);
                _uncertainSpawns.Remove(spawn);
            }
        }
    }

    private async Task AdoptAsync()
    {
        await AdoptUncertainSpawnsAsync();
        var actual = await ReadAllAsync();
        foreach (var session in _sessions.ToList())
        {
            var snapshot = actual.Sessions[session.Id];
            if (snapshot is null)
            {
                throw new ModelException($"session {session.Id} vanished");
            }

            if (snapshot.Status != session.Status)
            {
                Check(session.Status == SessionStatus.Active, $"session {session.Id} went from {session.Status} to {snapshot.Status}");
                session.Status = snapshot.Status;
                Release(session);
            }

            foreach (var childId in snapshot.ChildSessions.Where(c => _sessions.All(s => s.Id != c)))
            {
                var child = await ReadSessionAsync(childId);
                if (child is not null)
                {
                    Record(session, childId, child.AgentId);
                    _sessions[^1].Status = child.Status;
                }
            }
        }

        foreach (var agent in _agents)
        {
            var snapshot = actual.Agents[agent.Id];
            if (snapshot is null)
            {
                Check(!agent.Registered, $"agent {agent.Id} vanished");
                continue;
            }

            if (!agent.Registered)
            {
                (agent.Registered, agent.Epoch) = (true, snapshot.Epoch);
            }

            if (snapshot.Status is AgentStatus.Killed or AgentStatus.Draining && agent.Status is not AgentStatus.Killed)
            {
                agent.Status = snapshot.Status;
            }

            agent.LastSequence = snapshot.LastSequence;
        }
    }

    /// <summary>Waits until the cluster shows what the model expects (time-bound states allowed to move on), or fails.</summary>
    private async Task SettleAsync(MeshOp? op, bool final = false)
    {
        var until = DateTime.UtcNow + SettleWithin;
        string? mismatch;
        do
        {
            // After an operation whose outcome the model cannot predict, what it did may still be
            // landing: keep adopting it while settling. Otherwise only late spawns are taken in.
            if (op is CancelledOp or FaultedOp or KillVsHandoffOp)
            {
                await AdoptAsync();
            }
            else
            {
                await AdoptUncertainSpawnsAsync();
            }

            ApplyConsequences();
            var actual = await ReadAllAsync();
            mismatch = Compare(actual, final);
            if (mismatch is null)
            {
                return;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < until);

        throw new ModelException($"after {(op is null ? "the sequence" : op.ToString())} the cluster did not settle: {mismatch}");
    }

    /// <summary>What follows from the model's state by the mesh's rules: a kill's follow-through.</summary>
    private void ApplyConsequences()
    {
        foreach (var agent in _agents.Where(a => a.Status == AgentStatus.Killed))
        {
            foreach (var session in _sessions.Where(s => s.AgentId == agent.Id && s.Status == SessionStatus.Active))
            {
                session.Status = SessionStatus.Failed;
                Release(session);
                if (agent.KillCascades)
                {
                    foreach (var descendant in Descendants(session).Where(d => d.Status == SessionStatus.Active))
                    {
                        descendant.Status = SessionStatus.Failed;
                        Release(descendant);
                    }
                }
            }

            if (agent.KillCascades)
            {
                foreach (var descendant in _sessions.Where(s => s.AgentId == agent.Id).SelectMany(Descendants).Where(d => d.Status == SessionStatus.Active).ToList())
                {
                    descendant.Status = SessionStatus.Failed;
                    Release(descendant);
                }
            }
        }
    }

    private string? Compare((Dictionary<Guid, SessionSnapshot?> Sessions, Dictionary<string, AgentSnapshot?> Agents) actual, bool final)
    {
        // Learn first which graceful kills became final: their follow-through fails sessions, so the
        // sessions can only be judged once the model applied it (see ApplyConsequences).
        foreach (var agent in _agents.Where(a => a.Registered && a.Status == AgentStatus.Draining))
        {
            if (actual.Agents[agent.Id] is { Status: AgentStatus.Killed })
            {
                agent.Status = AgentStatus.Killed; // the grace period passed
                return "a graceful kill became final; its follow-through is now expected";
            }
        }

        foreach (var session in _sessions)
        {
            var snapshot = actual.Sessions[session.Id];
            if (snapshot is null)
            {
                return $"session {session.Id} does not exist";
            }

            if (session.Expired && snapshot.Error != SessionGrain.HeartbeatTimeout)
            {
                return $"session {session.Id} ended with '{snapshot.Error}', expected its lease to run out ('{SessionGrain.HeartbeatTimeout}')";
            }

            if (snapshot.Status != session.Status)
            {
                return $"session {session.Id} is {snapshot.Status}, the model says {session.Status}";
            }

            if (session.Parent is { } parent && snapshot.ParentSession != parent)
            {
                return $"session {session.Id} names parent {snapshot.ParentSession}, the model says {parent}";
            }

            if (!snapshot.ChildSessions.ToHashSet().SetEquals(session.Children))
            {
                return $"session {session.Id} lists children [{string.Join(", ", snapshot.ChildSessions)}], the model says [{string.Join(", ", session.Children)}]";
            }
        }

        foreach (var agent in _agents.Where(a => a.Registered))
        {
            var snapshot = actual.Agents[agent.Id];
            if (snapshot is null)
            {
                return $"agent {agent.Id} does not exist";
            }

            var expected = agent.Status is AgentStatus.Busy or AgentStatus.Idle
                ? (_sessions.Any(s => s.AgentId == agent.Id && s.Status == SessionStatus.Active) ? AgentStatus.Busy : AgentStatus.Idle)
                : agent.Status;
            agent.Status = expected;
            if (snapshot.Status != expected && !(final && expected == AgentStatus.Draining))
            {
                return $"agent {agent.Id} is {snapshot.Status} (epoch {snapshot.Epoch}), the model says {expected}";
            }

            if (final && snapshot.Status == AgentStatus.Draining)
            {
                return $"agent {agent.Id} is still Draining after its grace period";
            }

            if (snapshot.Status != AgentStatus.Killed && snapshot.LastSequence != agent.LastSequence)
            {
                return $"agent {agent.Id} has last sequence {snapshot.LastSequence}, the model says {agent.LastSequence}";
            }
        }

        return null;
    }

    private async Task AssertAuditCleanAsync()
    {
        var mine = _sessions.Select(s => s.Id.ToString()).Concat(_agents.Select(a => a.Id)).Append(Specialization).ToHashSet(StringComparer.Ordinal);
        var until = DateTime.UtcNow + SettleWithin;
        IReadOnlyList<AuditViolation> violations;
        do
        {
            var report = await mesh.Client.GetGrain<IMeshAuditGrain>(0).RunAsync();
            violations = [.. report.Violations.Where(v => v.Rule == AuditRules.CounterMismatch || v.Ids.Any(mine.Contains))];
            if (violations.Count == 0)
            {
                return;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < until);

        throw new ModelException("the audit found: " + string.Join("; ", violations.Select(v => $"{v.Rule} [{string.Join(", ", v.Ids)}]: {v.Detail}")));
    }

    private async Task<(Dictionary<Guid, SessionSnapshot?> Sessions, Dictionary<string, AgentSnapshot?> Agents)> ReadAllAsync()
    {
        var sessions = await Task.WhenAll(_sessions.Select(s => ReadSessionAsync(s.Id)));
        var agents = await Task.WhenAll(_agents.Select(a => ReadAgentAsync(a.Id)));
        return (_sessions.Zip(sessions).ToDictionary(x => x.First.Id, x => x.Second),
                _agents.Zip(agents).ToDictionary(x => x.First.Id, x => x.Second));
    }

    private Task<SessionSnapshot?> ReadSessionAsync(Guid id) => RetryUnavailableAsync(async () =>
    {
        try
        {
            return await mesh.Client.GetGrain<ISessionGrain>(id).GetAsync();
        }
        catch (SessionNotFoundException)
        {
            return null;
        }
    });

    private Task<AgentSnapshot?> ReadAgentAsync(string id) => RetryUnavailableAsync(async () =>
    {
        try
        {
            return await mesh.Client.GetGrain<IAgentGrain>(id).GetAsync();
        }
        catch (AgentNotFoundException)
        {
            return (AgentSnapshot?)null;
        }
    });

    /// <summary>Reads right after a silo was killed may meet it before the cluster declares it dead.</summary>
    private static async Task<T> RetryUnavailableAsync<T>(Func<Task<T>> read)
    {
        var until = DateTime.UtcNow + SettleWithin;
        while (true)
        {
            try
            {
                return await read();
            }
            catch (Exception ex) when (DateTime.UtcNow < until && ex is SiloUnavailableException or OrleansMessageRejectionException)
            {
                await Task.Delay(100);
            }
        }
    }

    private ModelSession? Session(int index) => _sessions.Count == 0 ? null : _sessions[index % _sessions.Count];

    private IAgentGrain Agent(ModelAgent agent) => mesh.Client.GetGrain<IAgentGrain>(agent.Id);

    private void Record(ModelSession parent, Guid childId, string? agentId)
    {
        parent.Status = SessionStatus.HandedOff;
        parent.Children.Add(childId);
        Release(parent);
        _sessions.Add(new ModelSession(childId, agentId, parent.Id));
    }

    /// <summary>A session that left Active no longer holds its agent or a lease.</summary>
    private static void Release(ModelSession session) => session.Leased = false;

    /// <summary>Moves the silos' clock past every lease: each leased Active session must fail with a heartbeat timeout.</summary>
    private void ExpireLeases()
    {
        clock.Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        foreach (var session in _sessions.Where(s => s.Leased && s.Status == SessionStatus.Active))
        {
            session.Status = SessionStatus.Failed;

            // A session of an agent whose graceful kill is pending may be failed by the kill first.
            session.Expired = session.AgentId is not { } agentId || _agents.First(a => a.Id == agentId).Status is not AgentStatus.Draining;
            Release(session);
        }
    }

    private IEnumerable<ModelSession> Descendants(ModelSession session) =>
        _sessions.Where(s => s.Parent == session.Id).SelectMany(c => Descendants(c).Prepend(c));

    private static async Task ExpectAsync<TException>(Func<Task> call)
        where TException : Exception
    {
        try
        {
            await call();
        }
        catch (TException)
        {
            return;
        }

        throw new ModelException($"expected {typeof(TException).Name}, the call succeeded");
    }

    /// <summary>The call may succeed or fail with one of the given (typed, expected) errors; anything else is a finding.</summary>
    private static async Task ExpectAnyAsync(Func<Task> call, params Type[] allowed)
    {
        try
        {
            await call();
        }
        catch (Exception ex) when (allowed.Any(t => t.IsInstanceOfType(ex)))
        {
        }
        catch (OrleansException ex) when (allowed.Contains(typeof(SessionMeshException)) && ex.InnerException is StorageUnavailableException)
        {
            // A grain activation that could not read its state: Orleans wraps the provider's typed error.
        }
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new ModelException(problem);
        }
    }

    private sealed class ModelSession(Guid id, string? agentId, Guid? parent)
    {
        public Guid Id { get; } = id;
        public string? AgentId { get; } = agentId;
        public Guid? Parent { get; } = parent;
        public List<Guid> Children { get; } = [];
        public SessionStatus Status { get; set; } = SessionStatus.Active;
        public bool Leased { get; set; }

        /// <summary>Ended by its lease running out (its error says so).</summary>
        public bool Expired { get; set; }
    }

    private sealed class ModelAgent(string id)
    {
        public string Id { get; } = id;
        public bool Registered { get; set; }
        public AgentStatus Status { get; set; } = AgentStatus.Idle;
        public long Epoch { get; set; }
        public long LastSequence { get; set; }
        public bool KillCascades { get; set; }
    }
}

/// <summary>The cluster disagreed with the reference model or the audit.</summary>
public sealed class ModelException(string message) : Exception(message);
