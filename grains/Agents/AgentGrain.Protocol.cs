using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;
using SessionMesh.Grains.Topology;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Agents;

/// <summary>Callbacks from the agent's sessions and from the liveness tracker (internal protocol).</summary>
public sealed partial class AgentGrain
{
    public Task<long> AttachSessionAsync(Guid sessionId)
    {
        // Interleaves with anything (see IAgentProtocol): reads only, so it can never be part of a cycle.
        Validate.Id(Validate.AgentIdField, Id);
        if (state.State.Agent is not { } agent)
        {
            return Task.FromResult(1L);
        }

        return agent.Status is AgentStatus.Killed or AgentStatus.Draining
            ? throw new InvalidTransitionException($"agent '{Id}'", "start a session for", agent.Status.ToString())
            : Task.FromResult(agent.Epoch);
    }

    public Task<long> GetEpochAsync() => Task.FromResult(state.State.Agent?.Epoch ?? 1);

    public async Task SessionStartedAsync(Guid sessionId, long epoch)
    {
        var now = clock.GetUtcNow();
        var agent = state.State.Agent ?? NewAgent(now);
        if (state.State.Agent is not null && agent.CurrentSession == sessionId && state.State.Sessions.Contains(sessionId))
        {
            return;
        }

        if (agent.Status == AgentStatus.Killed || agent.Epoch != epoch)
        {
            // Started under an epoch a kill has since fenced: it belongs to the kill's follow-through.
            await FailIfActiveAsync(sessionId, "killed");
            return;
        }

        var previousSessions = state.State.Sessions;
        if (!previousSessions.Contains(sessionId))
        {
            state.State.Sessions = [.. previousSessions.TakeLast(RetainedSessions - 1), sessionId];
        }

        var status = agent.Status is AgentStatus.Idle or AgentStatus.Busy ? AgentStatus.Busy : agent.Status;
        try
        {
            agent = await CommitAsync(agent with { CurrentSession = sessionId, Status = status, UpdatedAt = now }, () => state.State.Sessions = previousSessions);
        }
        catch (StorageUnavailableException)
        {
            // This notice is one-way, so its sender cannot retry it: the session is already stored as
            // running on this agent. Retry here until the write lands (idempotent: see the check above).
            RetrySessionStartSoon(sessionId, epoch);
            throw;
        }

        WatchCurrentSession();
        await ReportStatusAsync(agent);
    }

    private void RetrySessionStartSoon(Guid sessionId, long epoch)
    {
        _sessionStartRetry?.Dispose();
        _sessionStartRetry = this.RegisterGrainTimer(
            async _ =>
            {
                try
                {
                    await SessionStartedAsync(sessionId, epoch);
                    _sessionStartRetry?.Dispose();
                    _sessionStartRetry = null;
                }
                catch (StorageUnavailableException)
                {
                    // The timer's next tick tries again.
                }
            },
            new GrainTimerCreationOptions { DueTime = TimeSpan.FromSeconds(1), Period = TimeSpan.FromSeconds(2), KeepAlive = true });
    }

    public async Task SessionEndedAsync(Guid sessionId)
    {
        if (state.State.Agent is not { } agent || agent.CurrentSession != sessionId)
        {
            return;
        }

        var status = agent.Status == AgentStatus.Busy ? AgentStatus.Idle : agent.Status;
        try
        {
            agent = await CommitAsync(agent with { CurrentSession = null, Status = status, UpdatedAt = clock.GetUtcNow() });
        }
        catch (StorageUnavailableException)
        {
            // One-way as well: nobody will send it again. Resuming reads the session's status and
            // comes back here (idempotent: the check above).
            ResumeSoon(QuickRetry);
            throw;
        }

        _sessionWatch?.Dispose();
        _sessionWatch = null;
        await ReportStatusAsync(agent);
    }

    /// <summary>
    /// While the agent runs a session, look at the session now and then: its end reaches the agent
    /// one-way, and a notice lost between silos would otherwise leave the agent Busy for as long as
    /// this activation lives (a new activation looks at once, see OnActivateAsync). Reads only; the
    /// timer does not keep the grain active.
    /// </summary>
    private void WatchCurrentSession()
    {
        _sessionWatch ??= this.RegisterGrainTimer(
            async _ =>
            {
                if (state.State.Agent?.CurrentSession is null)
                {
                    _sessionWatch?.Dispose();
                    _sessionWatch = null;
                    return;
                }

                await ReconcileCurrentSessionAsync();
            },
            new GrainTimerCreationOptions { DueTime = SessionWatchPeriod, Period = SessionWatchPeriod, KeepAlive = false });
    }

    public async Task BeginLeaseAsync(long epoch, CancellationToken cancellationToken = default)
    {
        var agent = RequireEpoch(epoch);
        if (agent.Status == AgentStatus.Lost)
        {
            // A lost agent that heartbeats with its current epoch is back.
            agent = await CommitAsync(agent with { Status = agent.CurrentSession is null ? AgentStatus.Idle : AgentStatus.Busy, UpdatedAt = clock.GetUtcNow() });
            await ReportStatusAsync(agent);
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
            // A draining agent that stopped heartbeating has stopped: the kill is done (driven in our own turn).
            await FinalizeKillAsync("heartbeats stopped", driveNow: false);
            return;
        }

        var now = clock.GetUtcNow();
        agent = await CommitAsync(agent with { Status = AgentStatus.Lost, UpdatedAt = now });
        await counters.IncrementAsync(MeshCounterNames.AgentsLost, CancellationToken.None);
        await ReportStatusAsync(agent);
        await this.PublishAsync(TopologyEventKind.AgentLost, Id, "heartbeat timeout", now, logger);
    }

    /// <summary>
    /// The session end's recovery: a session's ended status is its recorded intent and the agent hears
    /// of it one-way; if that notice was lost (a silo died), the agent finds out here. Agent → session
    /// is the direction of the call graph, so awaiting the session is allowed.
    /// </summary>
    private async Task<bool> ReconcileCurrentSessionAsync()
    {
        if (state.State.Agent is not { CurrentSession: { } sessionId })
        {
            return false;
        }

        SessionStatus? status;
        try
        {
            status = (await GrainFactory.GetGrain<ISessionGrain>(sessionId).GetAsync(CancellationToken.None)).Status;
        }
        catch (SessionNotFoundException)
        {
            status = null;
        }

        if (status == SessionStatus.Active)
        {
            return false;
        }

        await SessionEndedAsync(sessionId);
        return true;
    }
}
