using Microsoft.Extensions.Logging;
using Orleans.Storage;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// One session: the single place its lifecycle rules are enforced. State is written before the
/// catalog row, and a state write that fails leaves memory as it was, so a failed call changes nothing.
/// </summary>
public sealed partial class SessionGrain(
    [PersistentState("session", MeshStorage.Name)] IPersistentState<SessionState> state,
    ISessionCatalog catalog,
    IMeshCounters counters,
    TimeProvider clock,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    private static readonly TimeSpan CatalogRetryPeriod = TimeSpan.FromSeconds(5);
    private IGrainTimer? _catalogRetry;

    private Guid Id => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The catalog row is written after the state; a crash between the two leaves it behind.
        // Reconcile here so every activation starts from a catalog that agrees with the state.
        if (state.State.Session is { } session)
        {
            try
            {
                if (await catalog.GetRecordedStatusAsync(Id, cancellationToken) != session.Status)
                {
                    await catalog.RecordAsync(session, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCatalogBehind(logger, ex, Id);
                ScheduleCatalogRetry();
            }
        }
    }

    public async Task<SessionSnapshot> StartAsync(SessionSpawn spawn, CancellationToken cancellationToken = default)
    {
        ValidateSpawn(spawn);
        if (state.State.Session is { } existing)
        {
            return IsSameSpawn(existing, spawn) && existing.ParentSession is null
                ? existing
                : throw new SessionAlreadyExistsException(Id);
        }

        return await CreateAsync(spawn, parent: null, ancestry: [], cancellationToken);
    }

    public async Task<SessionSnapshot> StartChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, CancellationToken cancellationToken = default)
    {
        ValidateSpawn(spawn);
        ArgumentNullException.ThrowIfNull(ancestry);
        if (ancestry.Count == 0)
        {
            throw new InvalidInputException("ancestry", "a child session needs its parent.");
        }

        if (state.State.Session is not null)
        {
            throw new SessionAlreadyExistsException(Id);
        }

        return await CreateAsync(spawn, parent: ancestry[^1], ancestry, cancellationToken);
    }

    public Task<SessionSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current);

    public Task<IReadOnlyList<Guid>> GetLineageIdsAsync(CancellationToken cancellationToken = default)
    {
        _ = Current;
        IReadOnlyList<Guid> lineage = [.. state.State.Ancestry, Id];
        return Task.FromResult(lineage);
    }

    public async Task<SessionSnapshot> HandoffAsync(SessionHandoff handoff, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handoff);
        var parent = RequireActive("hand off");
        Validate.Name("to_agent", handoff.ToAgent);
        Validate.Context("context", handoff.Context);
        if (handoff.Purpose is not null)
        {
            Validate.Text("purpose", handoff.Purpose, required: true);
        }

        if (handoff.AgentId is not null)
        {
            Validate.Id("agent_id", handoff.AgentId);
        }

        if (handoff.LeaseTtl is not null)
        {
            LivenessShards.ValidateTtl(handoff.LeaseTtl);
        }

        var childSpawn = new SessionSpawn
        {
            AgentName = handoff.ToAgent,
            Purpose = handoff.Purpose ?? $"Handoff from session {Id}",
            AgentId = handoff.AgentId,
            LeaseTtl = handoff.LeaseTtl,
            // The child inherits everything learned so far: parent's results first, then the new ones.
            Context = handoff.Context with
            {
                PreviousResults = [.. parent.Context.PreviousResults, .. handoff.Context.PreviousResults],
            },
        };

        var childId = Guid.NewGuid();
        var childGrain = GrainFactory.GetGrain<ISessionGrain>(childId);

        // If this throws, nothing here has changed: the parent is still Active.
        var child = await childGrain.StartChildAsync(childSpawn, [.. state.State.Ancestry, Id], cancellationToken);

        var now = clock.GetUtcNow();
        var handedOff = parent with
        {
            Status = SessionStatus.HandedOff,
            HandoffTo = handoff.ToAgent,
            ChildSessions = [.. parent.ChildSessions, childId],
            UpdatedAt = now,
            EndedAt = now,
        };

        try
        {
            await CommitAsync(handedOff);
        }
        catch (Exception ex)
        {
            // The parent could not record the handoff: take the child back so no orphan is left.
            LogHandoffRolledBack(logger, ex, Id, childId);
            try
            {
                await childGrain.RetractAsync(Id, CancellationToken.None);
            }
            catch (Exception retractError)
            {
                LogRetractFailed(logger, retractError, childId);
            }

            throw;
        }

        await AfterEndAsync(handedOff, TopologyEventKind.SessionHandedOff, $"to {handoff.ToAgent} as {childId}");
        return child;
    }

    public async Task RetractAsync(Guid parentSession, CancellationToken cancellationToken = default)
    {
        if (state.State.Session is not { } session
            || session.ParentSession != parentSession
            || session.Status != SessionStatus.Active
            || session.ChildSessions.Count > 0)
        {
            return;
        }

        await state.ClearStateAsync(cancellationToken);
        state.State = new SessionState();
        await catalog.ForgetAsync(Id, cancellationToken);
        NotifyEnded(session);
        DeactivateOnIdle();
    }

    public async Task<SessionSnapshot> CompleteAsync(CancellationToken cancellationToken = default)
    {
        var session = RequireActive("complete");
        var now = clock.GetUtcNow();
        var completed = await CommitAsync(session with { Status = SessionStatus.Completed, UpdatedAt = now, EndedAt = now });
        await AfterEndAsync(completed, TopologyEventKind.SessionCompleted, null);
        return completed;
    }

    public async Task<SessionSnapshot> FailAsync(string error, CancellationToken cancellationToken = default)
    {
        var session = RequireActive("fail");
        Validate.Text("error", error, required: true);
        var failed = await EndFailedAsync(session, error);
        await AfterEndAsync(failed, TopologyEventKind.SessionFailed, error);
        return failed;
    }

    public Task BeginLeaseAsync(long agentEpoch, CancellationToken cancellationToken = default)
    {
        var session = RequireActive("heartbeat");
        return session.AgentId is not null && agentEpoch != session.AgentEpoch
            ? throw new StaleEpochException(session.AgentId, agentEpoch, session.AgentEpoch)
            : Task.CompletedTask;
    }

    public async Task LeaseExpiredAsync(CancellationToken cancellationToken = default)
    {
        if (state.State.Session is not { Status: SessionStatus.Active } session)
        {
            return;
        }

        var failed = await EndFailedAsync(session, HeartbeatTimeout);
        await counters.IncrementAsync(MeshCounterNames.SessionsExpired, cancellationToken);
        await AfterEndAsync(failed, TopologyEventKind.SessionExpired, HeartbeatTimeout);
    }

    /// <summary>The error of a session whose lease ran out.</summary>
    public const string HeartbeatTimeout = "heartbeat timeout";

    private Task<SessionSnapshot> EndFailedAsync(SessionSnapshot session, string error)
    {
        var now = clock.GetUtcNow();
        return CommitAsync(session with { Status = SessionStatus.Failed, Error = error, UpdatedAt = now, EndedAt = now });
    }

    /// <summary>After a session leaves Active: its agent and its lease tracker hear of it (one-way), and so do live views.</summary>
    private async Task AfterEndAsync(SessionSnapshot session, TopologyEventKind kind, string? detail)
    {
        NotifyEnded(session);
        await this.PublishAsync(kind, Id.ToString(), detail, session.UpdatedAt, logger);
    }

    private void NotifyEnded(SessionSnapshot session)
    {
        if (session.AgentId is not null)
        {
            _ = GrainFactory.GetGrain<IAgentGrain>(session.AgentId).SessionEndedAsync(Id);
        }

        _ = LivenessShards.For(GrainFactory, LeaseKey.ForSession(Id)).ReleaseAsync(LeaseKey.ForSession(Id));
    }

    private SessionSnapshot Current => state.State.Session ?? throw new SessionNotFoundException(Id);

    private SessionSnapshot RequireActive(string operation)
    {
        var session = Current;
        return session.Status == SessionStatus.Active
            ? session
            : throw new InvalidTransitionException($"session {Id}", operation, session.Status.ToString());
    }

    private async Task<SessionSnapshot> CreateAsync(SessionSpawn spawn, Guid? parent, IReadOnlyList<Guid> ancestry, CancellationToken cancellationToken)
    {
        // The agent learns of the session before it exists, so it cannot be calling it: no cycle.
        var agentEpoch = spawn.AgentId is null
            ? 0
            : await GrainFactory.GetGrain<IAgentGrain>(spawn.AgentId).AttachSessionAsync(Id, cancellationToken);
        var now = clock.GetUtcNow();
        var session = new SessionSnapshot
        {
            Id = Id,
            AgentName = spawn.AgentName,
            Purpose = spawn.Purpose,
            Context = spawn.Context,
            AgentId = spawn.AgentId,
            AgentEpoch = agentEpoch,
            Status = SessionStatus.Active,
            CreatedAt = now,
            UpdatedAt = now,
            ParentSession = parent,
        };

        state.State.Ancestry = [.. ancestry];
        try
        {
            await CommitAsync(session);
        }
        catch
        {
            state.State.Ancestry = [];
            NotifyEnded(session);
            throw;
        }

        if (spawn.LeaseTtl is { } ttl)
        {
            _ = LivenessShards.For(GrainFactory, LeaseKey.ForSession(Id)).TrackAsync(LeaseKey.ForSession(Id), agentEpoch, ttl);
        }

        await this.PublishAsync(TopologyEventKind.SessionSpawned, Id.ToString(), $"{spawn.AgentName}{(parent is null ? "" : $" from {parent}")}", now, logger);
        return session;
    }

    /// <summary>Writes the next version of the session; on failure memory is restored and the error rethrown.</summary>
    private async Task<SessionSnapshot> CommitAsync(SessionSnapshot next)
    {
        var previous = state.State.Session;
        state.State.Session = next;
        try
        {
            await state.WriteOrRevertAsync(() => state.State.Session = previous, CancellationToken.None);
        }
        catch (InconsistentStateException)
        {
            // Someone else wrote this session's state: reload it on the next call.
            DeactivateOnIdle();
            throw;
        }

        await PublishAsync(next);
        return next;
    }

    private async Task PublishAsync(SessionSnapshot session)
    {
        try
        {
            await catalog.RecordAsync(session, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The state is the truth and is already durable; the catalog catches up on retry.
            LogCatalogBehind(logger, ex, Id);
            ScheduleCatalogRetry();
        }
    }

    private void ScheduleCatalogRetry()
    {
        _catalogRetry ??= this.RegisterGrainTimer(
            RetryCatalogAsync,
            new GrainTimerCreationOptions { DueTime = CatalogRetryPeriod, Period = CatalogRetryPeriod, KeepAlive = true });
    }

    private async Task RetryCatalogAsync(CancellationToken cancellationToken)
    {
        if (state.State.Session is { } session)
        {
            await catalog.RecordAsync(session, cancellationToken);
        }

        _catalogRetry?.Dispose();
        _catalogRetry = null;
    }

    private static void ValidateSpawn(SessionSpawn spawn)
    {
        ArgumentNullException.ThrowIfNull(spawn);
        Validate.Name("agent_name", spawn.AgentName);
        Validate.Text("purpose", spawn.Purpose);
        Validate.Context("context", spawn.Context);
        if (spawn.AgentId is not null)
        {
            Validate.Id("agent_id", spawn.AgentId);
        }

        if (spawn.LeaseTtl is not null)
        {
            LivenessShards.ValidateTtl(spawn.LeaseTtl);
        }
    }

    private static bool IsSameSpawn(SessionSnapshot session, SessionSpawn spawn) =>
        session.AgentName == spawn.AgentName && session.Purpose == spawn.Purpose && session.AgentId == spawn.AgentId;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the catalog is behind the state; retrying.")]
    private static partial void LogCatalogBehind(ILogger logger, Exception exception, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: handoff to child {ChildId} could not be recorded; retracting the child.")]
    private static partial void LogHandoffRolledBack(ILogger logger, Exception exception, Guid sessionId, Guid childId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Child session {ChildId} could not be retracted after a failed handoff.")]
    private static partial void LogRetractFailed(ILogger logger, Exception exception, Guid childId);
}
