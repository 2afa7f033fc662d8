using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Orleans.Utilities;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Registry;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Agents;

/// <summary>
/// One agent: registration, steering, kill and fencing. State is written before anyone is told
/// (registries, observers, the stream), and a failed write leaves memory as it was.
/// </summary>
public sealed partial class AgentGrain(
    [PersistentState("agent", MeshStorage.Name)] IPersistentState<AgentState> state,
    IMeshCounters counters,
    TimeProvider clock,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain
{
    /// <summary>How long a graceful kill waits for an acknowledgement by default.</summary>
    public static readonly TimeSpan DefaultKillGrace = TimeSpan.FromSeconds(30);

    private const int RetainedAcknowledged = 100;
    private const int RetainedSessions = 256;

    private ObserverManager<IAgentObserver>? _observers;
    private IGrainTimer? _killTimer;

    private string Id => this.GetPrimaryKeyString();

    private ObserverManager<IAgentObserver> Observers => _observers ??= new(TimeSpan.FromMinutes(1), logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Agent is { Status: AgentStatus.Draining, KillDeadline: { } deadline })
        {
            ScheduleKillDeadline(deadline);
        }

        return Task.CompletedTask;
    }

    public async Task<AgentSnapshot> RegisterAsync(string specialization, string? displayName = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default)
    {
        Validate.Id("agent_id", Id);
        Validate.Id("specialization", specialization);
        if (displayName is not null)
        {
            Validate.Name("display_name", displayName);
        }

        var ttl = leaseTtl is null ? (TimeSpan?)null : LivenessShards.ValidateTtl(leaseTtl);
        var now = clock.GetUtcNow();
        var agent = state.State.Agent ?? NewAgent(now);
        if (agent.Status == AgentStatus.Killed)
        {
            throw new InvalidTransitionException($"agent '{Id}'", "register", nameof(AgentStatus.Killed));
        }

        // The registry first (idempotent): a crash before the state write leaves at worst an entry
        // that the next registration confirms, never a specialization the registry does not list.
        await GrainFactory.GetGrain<ISpecializationGrain>(specialization).AddAsync(Id, agent.Status, cancellationToken);

        var isNew = !agent.Specializations.Contains(specialization, StringComparer.Ordinal);
        if (isNew || state.State.Agent is null || (displayName is not null && displayName != agent.DisplayName))
        {
            agent = await CommitAsync(agent with
            {
                Specializations = isNew ? [.. agent.Specializations.Append(specialization).Order(StringComparer.Ordinal)] : agent.Specializations,
                DisplayName = displayName ?? agent.DisplayName,
                UpdatedAt = now,
            });
        }

        if (ttl is { } leaseFor)
        {
            _ = LivenessShards.For(GrainFactory, LeaseKey.ForAgent(Id)).TrackAsync(LeaseKey.ForAgent(Id), agent.Epoch, leaseFor);
        }

        if (isNew)
        {
            await this.PublishAsync(TopologyEventKind.AgentRegistered, Id, specialization, now, logger);
        }

        return agent;
    }

    public async Task<AgentSnapshot> DeregisterAsync(string specialization, CancellationToken cancellationToken = default)
    {
        Validate.Id("specialization", specialization);
        var agent = Current;
        if (agent.Specializations.Contains(specialization, StringComparer.Ordinal))
        {
            agent = await CommitAsync(agent with
            {
                Specializations = [.. agent.Specializations.Where(s => s != specialization)],
                UpdatedAt = clock.GetUtcNow(),
            });
        }

        await GrainFactory.GetGrain<ISpecializationGrain>(specialization).RemoveAsync(Id, cancellationToken);
        return agent;
    }

    public Task<AgentSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current);

    public async Task<Directive> SteerAsync(string direction, string? message = null, CancellationToken cancellationToken = default)
    {
        var agent = Current;
        Validate.Name("direction", direction);
        if (message is not null)
        {
            Validate.Text("message", message);
        }

        if (agent.Status is AgentStatus.Killed or AgentStatus.Draining)
        {
            throw new InvalidTransitionException($"agent '{Id}'", "steer", agent.Status.ToString());
        }

        var now = clock.GetUtcNow();
        var directive = new Directive(agent.LastSequence + 1, DirectiveKind.Steer, direction, message, now);
        await CommitAsync(agent with { Direction = direction, LastSequence = directive.Sequence, UpdatedAt = now }, directive);
        await PushAsync(directive);
        await this.PublishAsync(TopologyEventKind.AgentSteered, Id, direction, now, logger);
        return directive;
    }

    public Task<IReadOnlyList<Directive>> GetDirectivesAsync(long afterSequence, int limit = 100, CancellationToken cancellationToken = default)
    {
        _ = Current;
        if (afterSequence < 0)
        {
            throw new InvalidInputException("after", $"must not be negative (got {afterSequence}).");
        }

        if (limit is < 1 or > 1000)
        {
            throw new InvalidInputException("limit", $"must be between 1 and 1000 (got {limit}).");
        }

        IReadOnlyList<Directive> directives = [.. state.State.Directives.Where(d => d.Sequence > afterSequence).Take(limit)];
        return Task.FromResult(directives);
    }

    public async Task<AgentSnapshot> AcknowledgeAsync(long epoch, long sequence, CancellationToken cancellationToken = default)
    {
        var agent = RequireEpoch(epoch);
        if (sequence < 1 || sequence > agent.LastSequence)
        {
            throw new InvalidInputException("sequence", $"must be between 1 and the latest directive {agent.LastSequence} (got {sequence}).");
        }

        if (sequence <= agent.AcknowledgedThrough)
        {
            return agent;
        }

        var now = clock.GetUtcNow();
        agent = await CommitAsync(agent with { AcknowledgedThrough = sequence, UpdatedAt = now });
        var killAcknowledged = agent.Status == AgentStatus.Draining
            && state.State.Directives.Any(d => d.Kind == DirectiveKind.Kill && d.Sequence <= sequence);
        return killAcknowledged ? await FinalizeKillAsync("kill acknowledged", cancellationToken) : agent;
    }

    public Task SubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default)
    {
        _ = Current;
        Observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default)
    {
        Observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<AgentSnapshot> KillAsync(KillRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agent = Current;
        var grace = request.Grace ?? DefaultKillGrace;
        if (grace < TimeSpan.Zero || grace > TimeSpan.FromHours(1))
        {
            throw new InvalidInputException("grace", $"must be between 0 and 1 hour (got {grace.TotalSeconds} s).");
        }

        if (agent.Status == AgentStatus.Killed)
        {
            return agent;
        }

        // Persisted with the kill's own write below.
        state.State.CascadeOnKill = request.Cascade;
        if (request.Force || grace == TimeSpan.Zero)
        {
            return await FinalizeKillAsync(request.Force ? "forced" : "no grace", cancellationToken);
        }

        if (agent.Status == AgentStatus.Draining)
        {
            return agent;
        }

        var now = clock.GetUtcNow();
        var directive = new Directive(agent.LastSequence + 1, DirectiveKind.Kill, "kill", "Acknowledge, then stop.", now);
        var deadline = now + grace;
        agent = await CommitAsync(agent with { Status = AgentStatus.Draining, LastSequence = directive.Sequence, KillDeadline = deadline, UpdatedAt = now }, directive);
        await ReportStatusAsync(agent, cancellationToken);
        await PushAsync(directive);
        ScheduleKillDeadline(deadline);
        return agent;
    }

    public async Task<long> AttachSessionAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        Validate.Id("agent_id", Id);
        var now = clock.GetUtcNow();
        var agent = state.State.Agent ?? NewAgent(now);
        if (agent.Status is AgentStatus.Killed or AgentStatus.Draining)
        {
            throw new InvalidTransitionException($"agent '{Id}'", "start a session for", agent.Status.ToString());
        }

        var previousSessions = state.State.Sessions;
        state.State.Sessions = [.. previousSessions.TakeLast(RetainedSessions - 1), sessionId];
        var status = agent.Status == AgentStatus.Lost ? AgentStatus.Lost : AgentStatus.Busy;
        try
        {
            agent = await CommitAsync(agent with { CurrentSession = sessionId, Status = status, UpdatedAt = now });
        }
        catch
        {
            state.State.Sessions = previousSessions;
            throw;
        }

        await ReportStatusAsync(agent, cancellationToken);
        return agent.Epoch;
    }

    public async Task SessionEndedAsync(Guid sessionId)
    {
        if (state.State.Agent is not { } agent || agent.CurrentSession != sessionId)
        {
            return;
        }

        var status = agent.Status == AgentStatus.Busy ? AgentStatus.Idle : agent.Status;
        agent = await CommitAsync(agent with { CurrentSession = null, Status = status, UpdatedAt = clock.GetUtcNow() });
        await ReportStatusAsync(agent, CancellationToken.None);
    }

    public async Task BeginLeaseAsync(long epoch, CancellationToken cancellationToken = default)
    {
        var agent = RequireEpoch(epoch);
        if (agent.Status == AgentStatus.Lost)
        {
            // A lost agent that heartbeats with its current epoch is back.
            agent = await CommitAsync(agent with { Status = agent.CurrentSession is null ? AgentStatus.Idle : AgentStatus.Busy, UpdatedAt = clock.GetUtcNow() });
            await ReportStatusAsync(agent, cancellationToken);
        }
    }

    public async Task LeaseExpiredAsync(long epoch, CancellationToken cancellationToken = default)
    {
        if (state.State.Agent is not { } agent || agent.Epoch != epoch || agent.Status is AgentStatus.Killed or AgentStatus.Lost)
        {
            return;
        }

        if (agent.Status == AgentStatus.Draining)
        {
            // A draining agent that stopped heartbeating has stopped: the kill is done.
            await FinalizeKillAsync("heartbeats stopped", cancellationToken);
            return;
        }

        var now = clock.GetUtcNow();
        agent = await CommitAsync(agent with { Status = AgentStatus.Lost, UpdatedAt = now });
        await counters.IncrementAsync(MeshCounterNames.AgentsLost, cancellationToken);
        await ReportStatusAsync(agent, cancellationToken);
        await this.PublishAsync(TopologyEventKind.AgentLost, Id, "heartbeat timeout", now, logger);
    }

    private AgentSnapshot Current => state.State.Agent ?? throw new AgentNotFoundException(Id);

    private AgentSnapshot RequireEpoch(long epoch)
    {
        var agent = Current;
        return agent.Status == AgentStatus.Killed || agent.Epoch != epoch
            ? throw new StaleEpochException(Id, epoch, agent.Epoch)
            : agent;
    }

    private AgentSnapshot NewAgent(DateTimeOffset now) => new()
    {
        Id = Id,
        Status = AgentStatus.Idle,
        Epoch = 1,
        RegisteredAt = now,
        UpdatedAt = now,
    };

    /// <summary>Killed for good: the epoch moves on (fencing every older caller), then sessions are failed.</summary>
    private async Task<AgentSnapshot> FinalizeKillAsync(string reason, CancellationToken cancellationToken)
    {
        var agent = Current;
        var now = clock.GetUtcNow();
        agent = await CommitAsync(agent with
        {
            Status = AgentStatus.Killed,
            Epoch = agent.Epoch + 1,
            CurrentSession = null,
            KillDeadline = null,
            UpdatedAt = now,
        });
        _killTimer?.Dispose();
        _killTimer = null;

        _ = LivenessShards.For(GrainFactory, LeaseKey.ForAgent(Id)).ReleaseAsync(LeaseKey.ForAgent(Id));
        await counters.IncrementAsync(MeshCounterNames.AgentsKilled, cancellationToken);
        await ReportStatusAsync(agent, cancellationToken);
        await this.PublishAsync(TopologyEventKind.AgentKilled, Id, reason, now, logger);
        await FailSessionsAsync(state.State.CascadeOnKill, cancellationToken);
        return agent;
    }

    /// <summary>Fails the agent's own Active sessions and, with cascade, the Active sessions descended from any it ran.</summary>
    private async Task FailSessionsAsync(bool cascade, CancellationToken cancellationToken)
    {
        var directory = GrainFactory.GetGrain<ISessionDirectoryGrain>(0);
        foreach (var sessionId in state.State.Sessions.Distinct().ToList())
        {
            await FailIfActiveAsync(sessionId, "killed", cancellationToken);
            if (!cascade)
            {
                continue;
            }

            IReadOnlyList<SessionSnapshot> descendants;
            try
            {
                descendants = await directory.GetDescendantsAsync(sessionId, cancellationToken);
            }
            catch (SessionNotFoundException)
            {
                continue;
            }

            foreach (var descendant in descendants.Where(d => d.Status == SessionStatus.Active))
            {
                await FailIfActiveAsync(descendant.Id, $"killed: agent '{Id}' upstream was killed", cancellationToken);
            }
        }
    }

    private async Task FailIfActiveAsync(Guid sessionId, string error, CancellationToken cancellationToken)
    {
        try
        {
            await GrainFactory.GetGrain<ISessionGrain>(sessionId).FailAsync(error, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidTransitionException or SessionNotFoundException)
        {
            // Already ended, or retracted: nothing to fail.
        }
    }

    private void ScheduleKillDeadline(DateTimeOffset deadline)
    {
        _killTimer?.Dispose();
        var due = deadline - clock.GetUtcNow();
        _killTimer = this.RegisterGrainTimer(
            async ct =>
            {
                if (state.State.Agent is { Status: AgentStatus.Draining })
                {
                    await FinalizeKillAsync("grace period over", ct);
                }
            },
            new GrainTimerCreationOptions { DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task PushAsync(Directive directive)
    {
        if (_observers is { Count: > 0 } observers)
        {
            await observers.Notify(o => o.OnDirectiveAsync(directive));
        }
    }

    private async Task ReportStatusAsync(AgentSnapshot agent, CancellationToken cancellationToken)
    {
        // Registries keep each agent's status for "idle" queries; an agent has few specializations.
        await Task.WhenAll(agent.Specializations.Select(s =>
            GrainFactory.GetGrain<ISpecializationGrain>(s).AddAsync(Id, agent.Status, cancellationToken)));
    }

    /// <summary>Writes the next version (and a new directive); on failure memory is restored and the error rethrown.</summary>
    private async Task<AgentSnapshot> CommitAsync(AgentSnapshot next, Directive? directive = null)
    {
        var previous = state.State.Agent;
        var previousDirectives = state.State.Directives;
        state.State.Agent = next;
        if (directive is not null)
        {
            state.State.Directives = [.. TrimAcknowledged(previousDirectives, next.AcknowledgedThrough), directive];
        }

        try
        {
            await state.WriteOrRevertAsync(
                () =>
                {
                    state.State.Agent = previous;
                    state.State.Directives = previousDirectives;
                },
                CancellationToken.None);
        }
        catch (InconsistentStateException)
        {
            DeactivateOnIdle();
            throw;
        }

        return next;
    }

    private static IEnumerable<Directive> TrimAcknowledged(List<Directive> directives, long acknowledgedThrough)
    {
        var acknowledged = directives.Count(d => d.Sequence <= acknowledgedThrough);
        return directives.Skip(Math.Max(0, acknowledged - RetainedAcknowledged));
    }
}
