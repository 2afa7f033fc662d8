using Microsoft.Extensions.Logging;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Observability;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Agents;

/// <summary>
/// Kill as a durable process: the Killed status and the follow-through it owes (sessions failed with
/// "killed", cascade, registry status, agents_killed, AgentKilled event) are written in one state
/// write, then driven by idempotent steps — inline for the caller, and again by the "resume"
/// reminder after a crash, a fault or a caller that stopped waiting. No step takes the caller's
/// cancellation token: a cancelled request stops waiting, never the kill.
/// </summary>
public sealed partial class AgentGrain
{
    private const string ResumeReminder = "resume";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan QuickRetry = TimeSpan.FromSeconds(5);

    private IGrainTimer? _killTimer;
    private IGrainTimer? _resumeTimer;
    private IGrainTimer? _sessionStartRetry;
    private IGrainTimer? _sessionWatch;
    private static readonly TimeSpan SessionWatchPeriod = TimeSpan.FromMinutes(1);
    private IGrainReminder? _reminder;

    /// <summary>A registry could not be told the agent's status; resume (timer, reminder) retries it.</summary>
    private bool _registriesBehind;

    public async Task<AgentSnapshot> KillAsync(KillRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agent = Current;
        var grace = request.Grace ?? DefaultKillGrace;
        if (grace < TimeSpan.Zero || grace > TimeSpan.FromHours(1))
        {
            throw new InvalidInputException(nameof(grace), $"must be between 0 and 1 hour (got {grace.TotalSeconds} s).");
        }

        if (agent.Status == AgentStatus.Killed)
        {
            // Finishes a follow-through that was interrupted; with nothing pending it changes nothing.
            await DriveKillAsync();
            return Current;
        }

        if (request.Force || grace == TimeSpan.Zero)
        {
            // A cascade asked for by an earlier kill (the agent may be draining) stays: kills only widen.
            state.State.CascadeOnKill |= request.Cascade;
            return await FinalizeKillAsync(request.Force ? "forced" : "no grace", driveNow: true);
        }

        if (agent.Status == AgentStatus.Draining)
        {
            if (request.Cascade && !state.State.CascadeOnKill)
            {
                // A cascade asked for while the agent drains widens the kill under way (the grace
                // period stays); a kill without one never narrows it.
                state.State.CascadeOnKill = true;
                agent = await CommitAsync(agent, () => state.State.CascadeOnKill = false);
            }

            return agent;
        }

        var now = clock.GetUtcNow();
        var directive = new Directive(agent.LastSequence + 1, DirectiveKind.Kill, "kill", "Acknowledge, then stop.", now);
        var deadline = now + grace;

        // The deadline is a reminder first (durable: a silo that dies while the agent drains cannot
        // lose it), then the Draining state; the timer below only makes the deadline exact.
        await EnsureReminderAsync(grace);
        await directives.AppendAsync(Id, directive, CancellationToken.None);
        var previousCascade = state.State.CascadeOnKill;
        var previousKillSequence = state.State.KillSequence;
        state.State.CascadeOnKill = request.Cascade;
        state.State.KillSequence = directive.Sequence;
        agent = await CommitAsync(
            agent with { Status = AgentStatus.Draining, LastSequence = directive.Sequence, KillDeadline = deadline, UpdatedAt = now },
            () =>
            {
                state.State.CascadeOnKill = previousCascade;
                state.State.KillSequence = previousKillSequence;
            });
        await ReportStatusAsync(agent);
        await PushAsync(directive);
        ScheduleKillDeadline(deadline);
        return agent;
    }

    public Task<int> ResumeAsync() => ResumeCoreAsync(fromReminder: false);

    public Task ReceiveReminder(string reminderName, TickStatus status) => ResumeCoreAsync(fromReminder: true);

    private async Task<int> ResumeCoreAsync(bool fromReminder)
    {
        // Only look for a reminder to remove when one may exist (it costs a read).
        var mayHaveReminder = fromReminder || _reminder is not null || _registriesBehind || state.State.PendingKill is not null || state.State.Agent?.Status == AgentStatus.Draining;
        var finished = 0;
        if (state.State.Agent is { Status: AgentStatus.Draining, KillDeadline: { } deadline } && deadline <= clock.GetUtcNow())
        {
            await FinalizeKillAsync("grace period over", driveNow: false);
        }

        if (await DriveKillAsync())
        {
            finished++;
        }

        if (await ReconcileCurrentSessionAsync())
        {
            finished++;
        }

        // A reminder tick may be the one left by a registration or status change whose registries
        // were not told (its silo may have died since): telling them again is idempotent.
        if ((_registriesBehind || fromReminder) && state.State.Agent is { } agent)
        {
            var wasBehind = _registriesBehind;
            await ReportStatusAsync(agent);
            finished += wasBehind && !_registriesBehind ? 1 : 0;
        }

        if (mayHaveReminder)
        {
            await ClearReminderIfIdleAsync();
        }

        return finished;
    }

    /// <summary>Killed for good: the epoch moves on (fencing every older caller) in the same write that records the follow-through.</summary>
    private async Task<AgentSnapshot> FinalizeKillAsync(string reason, bool driveNow)
    {
        var agent = Current;
        var now = clock.GetUtcNow();
        var requestedAt = agent.Status == AgentStatus.Draining ? agent.UpdatedAt : now; // a drain's last write is its start
        await EnsureReminderAsync(QuickRetry);
        state.State.PendingKill = new KillIntent { Reason = reason, Cascade = state.State.CascadeOnKill, At = now };
        agent = await CommitAsync(
            agent with
            {
                Status = AgentStatus.Killed,
                Epoch = agent.Epoch + 1,
                CurrentSession = null,
                KillDeadline = null,
                UpdatedAt = now,
            },
            () => state.State.PendingKill = null);
        _killTimer?.Dispose();
        _killTimer = null;
        MeshMetrics.KillFinished(now - requestedAt);

        if (driveNow)
        {
            await DriveKillAsync();
        }
        else
        {
            // The caller (a lease tracker, a timer) should not wait for every session: drive it in a turn of our own.
            ResumeSoon(TimeSpan.Zero);
        }

        return agent;
    }

    /// <summary>Drives the recorded kill follow-through to its end. Each step is idempotent. Returns whether one was finished.</summary>
    private async Task<bool> DriveKillAsync()
    {
        if (state.State.PendingKill is not { } intent || state.State.Agent is not { } agent)
        {
            return false;
        }

        try
        {
            _ = ShardProtocol.For(GrainFactory, LeaseKey.ForAgent(Id)).ReleaseAsync(LeaseKey.ForAgent(Id));
            await ReportStatusAsync(agent);
            if (!intent.Counted || !intent.Published)
            {
                if (!intent.Counted)
                {
                    await counters.IncrementAsync(MeshCounterNames.AgentsKilled, CancellationToken.None);
                    intent.Counted = true;
                }

                if (!intent.Published)
                {
                    await this.PublishAsync(TopologyEventKind.AgentKilled, Id, intent.Reason, intent.At, logger);
                    intent.Published = true;
                }

                // Remember the two steps that are not idempotent by themselves (a crash before this write counts once more).
                await state.WriteStateAsync(CancellationToken.None);
            }

            await FailSessionsAsync(intent.Cascade);

            state.State.PendingKill = null;
            await state.WriteOrRevertAsync(() => state.State.PendingKill = intent);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Recorded and fenced already; the reminder (and a quick retry) finish it.
            LogKillFollowThroughFailed(logger, ex, Id);
            ResumeSoon(QuickRetry);
            return false;
        }

        await ClearReminderIfIdleAsync();
        return true;
    }

    /// <summary>
    /// Fails the agent's Active sessions (from its own list and from the catalog's index by agent, so a
    /// session whose start notice was lost is found too) and, with cascade, the Active sessions
    /// descended from any it ran. Failing an ended session is a no-op, so this can run any number of times.
    /// </summary>
    private async Task FailSessionsAsync(bool cascade)
    {
        var roots = new List<Guid>(state.State.Sessions);
        Sessions.SessionCatalogEntry? after = null;
        while (true)
        {
            var page = await catalog.ListAsync(SessionStatus.Active, [Id], MeshLimits.MaxPage, after, CancellationToken.None);
            roots.AddRange(page.Select(e => e.SessionId));
            if (page.Count < MeshLimits.MaxPage)
            {
                break;
            }

            after = page[^1];
        }

        var directory = GrainFactory.GetGrain<ISessionDirectoryGrain>(0);
        foreach (var sessionId in roots.Distinct())
        {
            await FailIfActiveAsync(sessionId, "killed");
            if (!cascade)
            {
                continue;
            }

            IReadOnlyList<SessionSnapshot> descendants;
            try
            {
                descendants = await directory.GetDescendantsAsync(sessionId, CancellationToken.None);
            }
            catch (SessionNotFoundException)
            {
                continue;
            }

            foreach (var descendant in descendants.Where(d => d.Status == SessionStatus.Active))
            {
                await FailIfActiveAsync(descendant.Id, $"killed: agent '{Id}' upstream was killed");
            }
        }
    }

    private async Task FailIfActiveAsync(Guid sessionId, string error)
    {
        try
        {
            await GrainFactory.GetGrain<ISessionGrain>(sessionId).FailAsync(error, CancellationToken.None);
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
            _ => ResumeAsync(),
            new GrainTimerCreationOptions { DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    /// <summary>Runs <see cref="ResumeAsync"/> in a turn of its own soon (the reminder remains the durable guarantee).</summary>
    private void ResumeSoon(TimeSpan due)
    {
        _resumeTimer?.Dispose();
        _resumeTimer = this.RegisterGrainTimer(
            async _ =>
            {
                _resumeTimer?.Dispose();
                _resumeTimer = null;
                await ResumeAsync();
            },
            new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task EnsureReminderAsync(TimeSpan due)
    {
        _reminder = await this.RegisterOrUpdateReminder(ResumeReminder, due < TimeSpan.Zero ? TimeSpan.Zero : due, ReminderPeriod);
    }

    /// <summary>Registers the reminder if storage allows; when it does not, the quick retry timer still runs.</summary>
    private async Task TryEnsureReminderAsync(TimeSpan due)
    {
        try
        {
            await EnsureReminderAsync(due);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReminderNotSet(logger, ex, Id);
        }
    }

    /// <summary>Removes the reminder once nothing is left for it to drive: no kill, no drain, no registry behind.</summary>
    private Task ClearReminderIfIdleAsync() =>
        state.State.PendingKill is null && state.State.Agent?.Status != AgentStatus.Draining && !_registriesBehind
            ? ClearReminderAsync()
            : Task.CompletedTask;

    private async Task ClearReminderAsync()
    {
        try
        {
            var reminder = _reminder ?? await this.GetReminder(ResumeReminder);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminder = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A reminder left behind finds nothing to do on its next tick and tries again.
            LogReminderNotCleared(logger, ex, Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: the kill follow-through did not finish; it is recorded and will be resumed.")]
    private static partial void LogKillFollowThroughFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: the resume reminder could not be removed; its next tick retries.")]
    private static partial void LogReminderNotCleared(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: the resume reminder could not be set; a timer retries while the agent is active.")]
    private static partial void LogReminderNotSet(ILogger logger, Exception exception, string agentId);
}
