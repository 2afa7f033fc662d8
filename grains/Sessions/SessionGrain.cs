using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Errors;
using SessionMesh.Grains.Agents;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// One session: the single place its lifecycle rules are enforced. Its state is stored in its catalog
/// row (<see cref="MeshStorage.Sessions"/>), so one write moves the state, the listings and the
/// counters together; a write that fails leaves memory as it was, so a failed call changes nothing.
/// The handoff as a durable process is in SessionGrain.Handoff.cs.
/// </summary>
/// <remarks>
/// Idle for two minutes, it deactivates (Orleans' default is 15 minutes): its state
/// is all in storage and its liveness in a shard, so memory follows the sessions in use rather than
/// every session touched in the last quarter hour (3.7 KB each; BENCHMARKS.md). The next call reads
/// it back with one indexed read.
/// </remarks>
[GrainType("session")]
[CollectionAgeLimit(Minutes = 2)]
public sealed partial class SessionGrain(
    [FromKeyedServices(MeshStorage.Sessions)] IGrainStorage storage,
    IGrainContext grainContext,
    IMeshCounters counters,
    Serializer serializer,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain, ISessionProtocol, IRemindable, IIncomingGrainCallFilter
{
    // Read on the first call that needs it, not on activation: a spawn writes its new row unread.
    private readonly LazyState<SessionState> state = new(storage, MeshStorage.SessionStateName, grainContext.GrainId);

    private Guid Id => this.GetPrimaryKey();

    /// <summary>Every call but a spawn's first reads the session's row before it runs (once per activation).</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (!state.Loaded && context.ImplementationMethod.Name is not (nameof(StartAsync) or nameof(StartHandedOffChildAsync)))
        {
            await LoadAsync();
        }

        await context.Invoke();
    }

    private async Task LoadAsync()
    {
        await state.LoadAsync();
        if (state.State.PendingHandoff is not null)
        {
            ResumeSoon();
        }
    }

    /// <summary>
    /// For a session whose row this activation has not read: a spawn that asks nothing of other grains
    /// before its write (no agent to attach, no lease to store) writes its row unread, on condition
    /// that no row exists — one write where there were a read and a write. A row that exists refuses
    /// it; it is then read, and null returned, as for every other spawn, which reads first: the
    /// caller then decides on what it read.
    /// </summary>
    private async Task<SessionSnapshot?> CreateUnreadAsync(SessionSpawn spawn, Func<Task<SessionSnapshot>> create)
    {
        if (state.Loaded)
        {
            return null;
        }

        if (spawn.AgentId is not null || spawn.LeaseTtl is not null)
        {
            await LoadAsync();
            return null;
        }

        state.ExpectNoRow();
        try
        {
            return await create();
        }
        catch (InconsistentStateException)
        {
            state.Unload();
            await LoadAsync();
            return null;
        }
    }

    public async Task<SessionSnapshot> StartAsync(SessionSpawn spawn, CancellationToken cancellationToken = default)
    {
        ValidateSpawn(spawn);
        if (await CreateUnreadAsync(spawn, () => CreateAsync(spawn, parent: null, ancestry: [])) is { } created)
        {
            return created;
        }

        if (state.State.Session is { } existing)
        {
            return IsSameSpawn(existing, spawn) && existing.ParentSession is null
                ? existing
                : throw new SessionAlreadyExistsException(Id);
        }

        return await CreateAsync(spawn, parent: null, ancestry: []);
    }

    public async Task<SessionSnapshot> StartChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, CancellationToken cancellationToken = default)
    {
        ValidateSpawn(spawn);
        ArgumentNullException.ThrowIfNull(ancestry);
        if (ancestry.Count == 0)
        {
            throw new InvalidInputException(nameof(ancestry), "a child session needs its parent.");
        }

        if (state.State.Session is { } existing)
        {
            // A parent resuming its handoff asks again: the child it already made is the answer.
            return existing.ParentSession == ancestry[^1] ? existing : throw new SessionAlreadyExistsException(Id);
        }

        return await CreateAsync(spawn, parent: ancestry[^1], ancestry);
    }

    public async Task<SessionSnapshot> StartHandedOffChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, HandoffParentWrite parent, CancellationToken cancellationToken = default)
    {
        ValidateSpawn(spawn);
        ArgumentNullException.ThrowIfNull(ancestry);
        ArgumentNullException.ThrowIfNull(parent);
        if (ancestry.Count == 0 || ancestry[^1] != parent.ParentId)
        {
            throw new InvalidInputException(nameof(ancestry), "a child session's ancestry ends with its parent.");
        }

        if (await CreateUnreadAsync(spawn, () => CreateAsync(spawn, parent.ParentId, ancestry, parent)) is { } created)
        {
            return created;
        }

        // The parent asks only for a child it has not recorded, so an existing session here is another one.
        return state.State.Session is null
            ? await CreateAsync(spawn, parent.ParentId, ancestry, parent)
            : throw new SessionAlreadyExistsException(Id);
    }

    public Task<SessionSnapshot> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(Current);

    public Task<IReadOnlyList<Guid>> GetLineageIdsAsync(CancellationToken cancellationToken = default)
    {
        _ = Current;
        IReadOnlyList<Guid> lineage = [.. state.State.Ancestry, Id];
        return Task.FromResult(lineage);
    }

    public async Task RetractAsync(Guid parentSession, CancellationToken cancellationToken = default)
    {
        if (state.State.Session is not { } session
            || session.ParentSession != parentSession
            || session.Status != SessionStatus.Active
            || session.ChildSessions.Count > 0
            || state.State.PendingHandoff is not null)
        {
            return;
        }

        // One delete takes the state and the catalog row (and so the counters) back together.
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new SessionState();
        NotifyEnded(session);
        DeactivateOnIdle();
    }

    public async Task<SessionSnapshot> CompleteAsync(CancellationToken cancellationToken = default)
    {
        await DriveHandoffAsync();
        var session = RequireActive("complete");
        var now = clock.GetUtcNow();
        var completed = await CommitAsync(session with { Status = SessionStatus.Completed, UpdatedAt = now, EndedAt = now });
        await AfterEndAsync(completed, TopologyEventKind.SessionCompleted, null);
        return completed;
    }

    public async Task<SessionSnapshot> FailAsync(string error, CancellationToken cancellationToken = default)
    {
        await DriveHandoffAsync();
        var session = RequireActive("fail");
        Validate.Text(nameof(error), error, required: true);
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
        await DriveHandoffAsync();
        if (state.State.Session is not { Status: SessionStatus.Active } session)
        {
            return;
        }

        var failed = await EndFailedAsync(session, HeartbeatTimeout);
        await counters.IncrementAsync(MeshCounterNames.SessionsExpired, CancellationToken.None);
        await AfterEndAsync(failed, TopologyEventKind.SessionExpired, HeartbeatTimeout);
    }

    /// <summary>The error of a session whose lease ran out.</summary>
    public const string HeartbeatTimeout = "heartbeat timeout";

    private Task<SessionSnapshot> EndFailedAsync(SessionSnapshot session, string error)
    {
        var now = clock.GetUtcNow();
        return CommitAsync(session with { Status = SessionStatus.Failed, Error = error, UpdatedAt = now, EndedAt = now });
    }

    /// <summary>
    /// After a session leaves Active: its agent and its lease tracker hear of it (one-way: a session
    /// never waits on its agent, see CallGraph.md), and so do live views. The ended status is the
    /// recorded intent; an agent that missed the notice finds out when it resumes (AgentGrain.Protocol.cs).
    /// </summary>
    private async Task AfterEndAsync(SessionSnapshot session, TopologyEventKind kind, string? detail)
    {
        NotifyEnded(session);
        await this.PublishAsync(kind, Id.ToString(), detail, session.UpdatedAt, logger);
    }

    private void NotifyEnded(SessionSnapshot session)
    {
        if (session.AgentId is not null)
        {
            _ = GrainFactory.GetGrain<IAgentProtocol>(session.AgentId).SessionEndedAsync(Id);
        }

        _ = ShardProtocol.For(GrainFactory, LeaseKey.ForSession(Id)).ReleaseAsync(LeaseKey.ForSession(Id));
    }

    private SessionSnapshot Current => state.State.Session ?? throw new SessionNotFoundException(Id);

    private SessionSnapshot RequireActive(string operation)
    {
        var session = Current;
        return session.Status == SessionStatus.Active
            ? session
            : throw new InvalidTransitionException($"session {Id}", operation, session.Status.ToString());
    }

    /// <summary>Stores this new session (for a handoff's child, <paramref name="parentWrite"/>: the parent's HandedOff, in the same transaction).</summary>
    private async Task<SessionSnapshot> CreateAsync(SessionSpawn spawn, Guid? parent, IReadOnlyList<Guid> ancestry, HandoffParentWrite? parentWrite = null)
    {
        ValidateContextSize(spawn.Context);

        // The agent is asked through a call that interleaves (it writes nothing), so a session never
        // waits on an agent's turn: a kill waiting on this session cannot deadlock with it.
        var agent = spawn.AgentId is null ? null : GrainFactory.GetGrain<IAgentProtocol>(spawn.AgentId);
        var agentEpoch = agent is null ? 0 : await agent.AttachSessionAsync(Id);
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

        // A lease asked for at spawn is stored before the session is, so once the session exists so
        // does its lease, whatever happens to this silo next (a one-way call after the write was lost
        // with a silo that died in between, and the session stayed Active forever). If the write then
        // fails, the lease runs out against a session that does not exist, which ends nothing; it is
        // not released, since a write that failed only to answer (its connection dropped after the
        // commit) made a session that needs it.
        if (spawn.LeaseTtl is { } ttl)
        {
            var lease = LeaseKey.ForSession(Id);
            await ShardProtocol.For(GrainFactory, lease).TrackStoredAsync(lease, agentEpoch, ttl);
        }

        state.State.Ancestry = [.. ancestry];
        state.State.WrittenWith = parentWrite;
        try
        {
            await CommitAsync(session);
        }
        catch
        {
            state.State.Ancestry = [];
            throw;
        }
        finally
        {
            state.State.WrittenWith = null;
        }

        if (agent is not null)
        {
            // A kill may have landed between the check above and our write (its follow-through then
            // could not see us): look again, and if the epoch moved on we belong to that kill.
            if (await agent.GetEpochAsync() != agentEpoch)
            {
                var killed = await EndFailedAsync(session, "killed");
                await AfterEndAsync(killed, TopologyEventKind.SessionFailed, "killed");
                return killed;
            }

            _ = agent.SessionStartedAsync(Id, agentEpoch);
        }

        await this.PublishAsync(TopologyEventKind.SessionSpawned, Id.ToString(), $"{spawn.AgentName}{(parent is null ? "" : $" from {parent}")}", now, logger);
        return session;
    }

    /// <summary>Refuses a context whose serialized size (inherited results included) is over the documented limit.</summary>
    private void ValidateContextSize(SessionContext context)
    {
        var bytes = serializer.SerializeToArray(context).Length;
        if (bytes > MeshLimits.MaxContextBytes)
        {
            throw new ContextTooLargeException(bytes, MeshLimits.MaxContextBytes);
        }
    }

    /// <summary>Writes the next version of the session; on failure memory is restored and the error rethrown.</summary>
    private async Task<SessionSnapshot> CommitAsync(SessionSnapshot next, Action? alsoRevert = null)
    {
        var previous = state.State.Session;
        state.State.Session = next;
        try
        {
            await state.WriteOrRevertAsync(
                () =>
                {
                    state.State.Session = previous;
                    alsoRevert?.Invoke();
                });
        }
        catch (InconsistentStateException) when (state.Etag != LazyState.NoRowETag)
        {
            // Someone else wrote this session's state: reload it on the next call.
            DeactivateOnIdle();
            throw;
        }

        return next;
    }

    private static void ValidateSpawn(SessionSpawn spawn)
    {
        ArgumentNullException.ThrowIfNull(spawn);
        Validate.Name(nameof(spawn.AgentName), spawn.AgentName);
        Validate.Text(nameof(spawn.Purpose), spawn.Purpose);
        Validate.Context(nameof(spawn.Context), spawn.Context);
        if (spawn.AgentId is not null)
        {
            Validate.Id(nameof(spawn.AgentId), spawn.AgentId);
        }

        if (spawn.LeaseTtl is not null)
        {
            LivenessShards.ValidateTtl(spawn.LeaseTtl, nameof(spawn.LeaseTtl));
        }
    }

    private static bool IsSameSpawn(SessionSnapshot session, SessionSpawn spawn) =>
        session.AgentName == spawn.AgentName && session.Purpose == spawn.Purpose && session.AgentId == spawn.AgentId;
}
