using Microsoft.Extensions.Logging;
using SessionMesh.Errors;
using SessionMesh.Grains.Topology;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// Handoff as one transaction: the parent decides its HandedOff and hands it to the child, whose
/// first write stores its own row and the parent's together (the parent's only if its row is still
/// the version decided on), so a handoff is both rows or neither, whatever fails or dies when.
/// A caller that gets an error finds nothing changed, unless the error came after the commit (a
/// lost answer), which the parent checks by reading its row again before it answers.
/// </summary>
/// <remarks>
/// Builds before this one recorded a handoff as an intent first (three writes); an intent found in
/// a row is still rolled forward: by the next call to its session, <see cref="ResumeAsync"/>, or the
/// recovery sweep (<see cref="SessionRecoveryGrain"/>), and a retry returns its child.
/// </remarks>
public sealed partial class SessionGrain
{
    // Builds before the recovery sweep registered a "resume" reminder per handoff; one left behind
    // still reactivates its session, which resumes and then removes it.
    private IGrainReminder? _reminder;
    private IGrainTimer? _resumeTimer;

    public async Task<SessionSnapshot> HandoffAsync(SessionHandoff handoff, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handoff);
        _ = Current;
        var resumed = state.State.PendingHandoff;
        var resumedChild = await DriveHandoffAsync();

        // Retry rule: a handoff naming the child this session already handed off to, or repeating the
        // interrupted handoff that was just finished, answers that child instead of a 409.
        var parent = Current;
        if (handoff.ChildSessionId is { } named && parent.ChildSessions.Contains(named))
        {
            return await GrainFactory.GetGrain<ISessionGrain>(named).GetAsync(CancellationToken.None);
        }

        if (resumedChild is not null && resumed is not null && resumed.ChildSpawn.AgentName == handoff.ToAgent && handoff.ChildSessionId is null)
        {
            return resumedChild;
        }

        parent = RequireActive("hand off");
        Validate.Name(nameof(handoff.ToAgent), handoff.ToAgent);
        if (handoff.Context is not null)
        {
            Validate.Context(nameof(handoff.Context), handoff.Context);
        }

        if (handoff.Purpose is not null)
        {
            Validate.Text(nameof(handoff.Purpose), handoff.Purpose, required: true);
        }

        if (handoff.AgentId is not null)
        {
            Validate.Id(nameof(handoff.AgentId), handoff.AgentId);
        }

        if (handoff.LeaseTtl is not null)
        {
            LivenessShards.ValidateTtl(handoff.LeaseTtl, nameof(handoff.LeaseTtl));
        }

        if (handoff.ChildSessionId == Id || handoff.ChildSessionId == Guid.Empty)
        {
            throw new InvalidInputException(nameof(handoff.ChildSessionId), "must be a new session id.");
        }

        var context = InheritContext(parent.Context, handoff.Context);
        ValidateContextSize(context);
        var childId = handoff.ChildSessionId ?? Guid.NewGuid();
        var spawn = new SessionSpawn
        {
            AgentName = handoff.ToAgent,
            Purpose = handoff.Purpose ?? $"Handoff from session {Id}",
            AgentId = handoff.AgentId,
            LeaseTtl = handoff.LeaseTtl,
            Context = context,
        };
        var handedOff = HandedOff(parent, spawn.AgentName, childId);

        // One transaction: the child stores its row and, in the same commit, this session's HandedOff
        // (only if this session's row is still the version decided on). Not the caller's token: a
        // caller that stops waiting must not stop the handoff half-way.
        var child = GrainFactory.GetGrain<ISessionProtocol>(childId);
        var parentWrite = new HandoffParentWrite
        {
            ParentId = Id,
            ParentState = new SessionState { Session = handedOff, Ancestry = state.State.Ancestry },
            ExpectedVersion = state.Etag,
        };
        SessionSnapshot made;
        try
        {
            made = await child.StartHandedOffChildAsync(spawn, [.. state.State.Ancestry, Id], parentWrite, CancellationToken.None);
        }
        catch (Exception ex) when (!IsRefusal(ex) && ex is not OperationCanceledException)
        {
            // No answer, or a fault that may have come after the commit: this session's row says
            // whether the handoff happened (it is both rows or neither).
            if (!await RowShowsHandoffToAsync(childId))
            {
                throw;
            }

            made = await GrainFactory.GetGrain<ISessionGrain>(childId).GetAsync(CancellationToken.None);
        }

        // The row is HandedOff already (written with the child). Memory follows; its version stays the
        // one before, which is safe: a HandedOff session writes no more, and a write that tried would be
        // refused by the version check and reload the row.
        state.State.Session = handedOff;
        await AfterEndAsync(handedOff, TopologyEventKind.SessionHandedOff, $"to {spawn.AgentName} as {childId}");
        return made;
    }

    /// <summary>Reads this session's row again; true if it shows the handoff to <paramref name="childId"/> done.</summary>
    private async Task<bool> RowShowsHandoffToAsync(Guid childId)
    {
        try
        {
            await state.ReadStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Memory may be behind the row: the next call reads it afresh.
            LogRowNotReread(logger, ex, Id);
            DeactivateOnIdle();
            return false;
        }

        return state.State.Session is { Status: SessionStatus.HandedOff } session && session.ChildSessions.Contains(childId);
    }

    private SessionSnapshot HandedOff(SessionSnapshot parent, string toAgent, Guid childId)
    {
        var now = clock.GetUtcNow();
        return parent with
        {
            Status = SessionStatus.HandedOff,
            HandoffTo = toAgent,
            ChildSessions = [.. parent.ChildSessions, childId],
            UpdatedAt = now,
            EndedAt = now,
        };
    }

    public async Task<int> ResumeAsync()
    {
        var hadWork = state.State.PendingHandoff is not null || _reminder is not null;
        var finished = 0;
        if (state.State.PendingHandoff is not null && await DriveHandoffAsync() is not null)
        {
            finished++;
        }

        if (hadWork && state.State.PendingHandoff is null)
        {
            await ClearReminderAsync();
        }

        return finished;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await LoadAsync();
        _reminder ??= await this.GetReminder(reminderName);
        await ResumeAsync();
    }

    /// <summary>
    /// Rolls a recorded handoff forward: makes the child if it is missing (the same id and spawn, so
    /// this is idempotent) and records it on the parent. A child refused for good drops the intent and
    /// the parent stays Active. Returns the child once the handoff is complete, null otherwise.
    /// </summary>
    private async Task<SessionSnapshot?> DriveHandoffAsync()
    {
        if (state.State.PendingHandoff is not { } intent)
        {
            return null;
        }

        if (state.State.Session is not { Status: SessionStatus.Active })
        {
            await AbandonAsync(intent, retract: true);
            return null;
        }

        SessionSnapshot made;
        try
        {
            made = await GrainFactory.GetGrain<ISessionProtocol>(intent.ChildId).StartChildAsync(intent.ChildSpawn, [.. state.State.Ancestry, Id], CancellationToken.None);
            await CompleteHandoffAsync(intent);
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            await AbandonAsync(intent, retract: false);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still recorded: the reminder tries again.
            LogHandoffNotResumed(logger, ex, Id, intent.ChildId);
            return null;
        }

        return made;
    }

    /// <summary>The parent's half: HandedOff with the child, and the intent gone, in one write.</summary>
    private async Task CompleteHandoffAsync(HandoffIntent intent)
    {
        var handedOff = HandedOff(Current, intent.ChildSpawn.AgentName, intent.ChildId);
        state.State.PendingHandoff = null;
        await CommitAsync(handedOff, () => state.State.PendingHandoff = intent);
        await AfterEndAsync(handedOff, TopologyEventKind.SessionHandedOff, $"to {intent.ChildSpawn.AgentName} as {intent.ChildId}");
    }

    /// <summary>
    /// Gives a handoff up: the child (if one was made) is taken back, then the intent dropped. If the
    /// intent cannot be dropped (the parent's row refuses writes), it stays and recovery rolls it forward.
    /// </summary>
    private async Task AbandonAsync(HandoffIntent intent, bool retract)
    {
        try
        {
            if (retract)
            {
                await GrainFactory.GetGrain<ISessionProtocol>(intent.ChildId).RetractAsync(Id, CancellationToken.None);
            }

            state.State.PendingHandoff = null;
            await state.WriteOrRevertAsync(() => state.State.PendingHandoff = intent);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHandoffNotAbandoned(logger, ex, Id, intent.ChildId);
        }
    }

    /// <summary>
    /// The child's context: the given one, or the parent's when none is given; an issue number or
    /// worktree the given one leaves out is the parent's. Results: the parent's, then the new ones.
    /// </summary>
    private static SessionContext InheritContext(SessionContext parent, SessionContext? given) =>
        given is null
            ? parent
            : given with
            {
                IssueNumber = given.IssueNumber ?? parent.IssueNumber,
                WorktreePath = given.WorktreePath ?? parent.WorktreePath,
                PreviousResults = [.. parent.PreviousResults, .. given.PreviousResults],
            };

    /// <summary>A refusal for good (bad input, a killed agent, a taken id), as opposed to a fault worth retrying.</summary>
    private static bool IsRefusal(Exception ex) => ex is SessionMeshException and not StorageUnavailableException;

    private void ResumeSoon()
    {
        _resumeTimer ??= this.RegisterGrainTimer(
            async _ =>
            {
                _resumeTimer?.Dispose();
                _resumeTimer = null;
                await ResumeAsync();
            },
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    private async Task ClearReminderAsync()
    {
        if (_reminder is not { } reminder)
        {
            return;
        }

        try
        {
            await this.UnregisterReminder(reminder);
            _reminder = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A reminder left behind finds nothing to do on its next tick and tries again.
            LogReminderFailed(logger, ex, Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: after a handoff without an answer, its row could not be read again; the next call reads it.")]
    private static partial void LogRowNotReread(ILogger logger, Exception exception, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: handoff to child {ChildId} could not be given up; recovery will finish it.")]
    private static partial void LogHandoffNotAbandoned(ILogger logger, Exception exception, Guid sessionId, Guid childId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the recorded handoff to child {ChildId} could not be resumed yet; the reminder retries.")]
    private static partial void LogHandoffNotResumed(ILogger logger, Exception exception, Guid sessionId, Guid childId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the resume reminder could not be registered or removed.")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, Guid sessionId);
}
