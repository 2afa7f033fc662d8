using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Orleans.Utilities;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Registry;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Registry;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Agents;

/// <summary>
/// One agent: registration, steering, kill and fencing. State is written before anyone is told
/// (registries, observers, the stream), and a failed write leaves memory as it was. The kill's
/// follow-through is in AgentGrain.Kill.cs, directives in AgentGrain.Directives.cs, callbacks from
/// sessions and the liveness tracker in AgentGrain.Protocol.cs.
/// </summary>
[GrainType("agent")]
public sealed partial class AgentGrain(
    [PersistentState("agent", MeshStorage.Name)] IPersistentState<AgentState> state,
    IMeshCounters counters,
    IDirectiveStore directives,
    ISessionCatalog catalog,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock,
    ILogger<AgentGrain> logger) : Grain, IAgentGrain, IAgentProtocol, IRemindable
{
    /// <summary>How long a graceful kill waits for an acknowledgement by default.</summary>
    public static readonly TimeSpan DefaultKillGrace = TimeSpan.FromSeconds(30);

    private const int RetainedSessions = 256;

    private ObserverManager<IAgentObserver>? _observers;

    private string Id => this.GetPrimaryKeyString();

    private ObserverManager<IAgentObserver> Observers => _observers ??= new(TimeSpan.FromMinutes(1), logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await MoveLegacyDirectivesAsync(cancellationToken);
        if (state.State.Agent is { Status: AgentStatus.Draining, KillDeadline: { } deadline })
        {
            ScheduleKillDeadline(deadline);
        }

        if (state.State.PendingKill is not null || state.State.Agent?.CurrentSession is not null)
        {
            // An interrupted kill, or a current session whose end this agent may not have heard of.
            ResumeSoon(TimeSpan.Zero);
        }

        if (state.State.Agent?.CurrentSession is not null)
        {
            WatchCurrentSession();
        }
    }

    public async Task<AgentSnapshot> RegisterAsync(string specialization, string? displayName = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default)
    {
        Validate.Id(Validate.AgentIdField, Id);
        Validate.Id(nameof(specialization), specialization);
        if (displayName is not null)
        {
            Validate.Name(nameof(displayName), displayName);
        }

        var ttl = leaseTtl is null ? (TimeSpan?)null : LivenessShards.ValidateTtl(leaseTtl, nameof(leaseTtl));
        var now = clock.GetUtcNow();
        var agent = state.State.Agent ?? NewAgent(now);
        if (agent.Status == AgentStatus.Killed)
        {
            throw new InvalidTransitionException($"agent '{Id}'", "register", nameof(AgentStatus.Killed));
        }

        // The agent's own write is the record: a specialization it lists is one its registry must
        // list. The durable reminder goes first, so a crash right after the write still brings the
        // registry up to date (see grains/CallGraph.md); no step takes the caller's token.
        var isNew = !agent.Specializations.Contains(specialization, StringComparer.Ordinal);
        if (isNew || state.State.Agent is null || (displayName is not null && displayName != agent.DisplayName))
        {
            if (isNew)
            {
                await EnsureReminderAsync(QuickRetry);
            }

            agent = await CommitAsync(agent with
            {
                Specializations = isNew ? [.. agent.Specializations.Append(specialization).Order(StringComparer.Ordinal)] : agent.Specializations,
                DisplayName = displayName ?? agent.DisplayName,
                UpdatedAt = now,
            });
        }

        await ReportStatusAsync(agent);
        if (isNew)
        {
            await ClearReminderIfIdleAsync();
        }

        if (isNew)
        {
            await this.PublishAsync(TopologyEventKind.AgentRegistered, Id, specialization, now, logger);
        }

        if (ttl is { } leaseFor)
        {
            // Answered once stored: a caller told "registered" has its lease (a retry tracks it again).
            var lease = LeaseKey.ForAgent(Id);
            await ShardProtocol.For(GrainFactory, lease).TrackStoredAsync(lease, agent.Epoch, leaseFor);
        }

        return agent;
    }

    public async Task<AgentSnapshot> DeregisterAsync(string specialization, CancellationToken cancellationToken = default)
    {
        Validate.Id(nameof(specialization), specialization);
        var agent = Current;
        if (agent.Specializations.Contains(specialization, StringComparer.Ordinal))
        {
            agent = await CommitAsync(agent with
            {
                Specializations = [.. agent.Specializations.Where(s => s != specialization)],
                UpdatedAt = clock.GetUtcNow(),
            });
        }

        await GrainFactory.GetGrain<ISpecializationProtocol>(specialization).RemoveAsync(Id, CancellationToken.None);
        return agent;
    }

    public Task<AgentSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current);

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

    private async Task PushAsync(Directive directive)
    {
        if (_observers is { Count: > 0 } observers)
        {
            await observers.Notify(o => o.OnDirectiveAsync(directive));
        }
    }

    /// <summary>
    /// Brings every registry of the agent to its status (an agent has few specializations). The
    /// agent's state is the truth and registries follow it: a registry that cannot be told now is
    /// retried soon and by the durable reminder, and the caller's operation, already written, stands.
    /// </summary>
    private async Task ReportStatusAsync(AgentSnapshot agent)
    {
        try
        {
            await Task.WhenAll(agent.Specializations.Select(s =>
                GrainFactory.GetGrain<ISpecializationProtocol>(s).AddAsync(Id, agent.Status, CancellationToken.None)));
            _registriesBehind = false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _registriesBehind = true;
            LogRegistriesBehind(logger, ex, Id);
            await TryEnsureReminderAsync(QuickRetry);
            ResumeSoon(QuickRetry);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: its registries could not be told its status; it retries until they are.")]
    private static partial void LogRegistriesBehind(ILogger logger, Exception exception, string agentId);

    /// <summary>Writes the next version; on failure memory is restored (with <paramref name="revert"/>) and the error rethrown.</summary>
    private async Task<AgentSnapshot> CommitAsync(AgentSnapshot next, Action? revert = null)
    {
        var previous = state.State.Agent;
        state.State.Agent = next;
        try
        {
            await state.WriteOrRevertAsync(
                () =>
                {
                    state.State.Agent = previous;
                    revert?.Invoke();
                });
        }
        catch (InconsistentStateException)
        {
            DeactivateOnIdle();
            throw;
        }

        return next;
    }
}
