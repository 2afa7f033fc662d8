using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Sessions;

namespace SessionMesh.Client;

/// <summary>
/// One run of a hosted agent, the contract of <c>session-mesh run</c> over the grain interfaces: set
/// up agent and session, heartbeat both every TTL/3, deliver directives, turn kills into a cancelled
/// token, and make the work's end the session's outcome.
/// </summary>
internal sealed partial class AgentRun : IAsyncDisposable
{
    /// <summary>How long reporting the outcome keeps retrying while the mesh is unreachable.</summary>
    private static readonly TimeSpan ReportDeadline = TimeSpan.FromSeconds(30);

    private const string Killed = "killed";
    private const string CutShort = "stopped: the host shut down before the work finished";

    private readonly SessionMeshAgentOptions _options;
    private readonly SessionMeshAgent _agent;
    private readonly IGrainFactory _grains;
    private readonly SessionManager _sessions;
    private readonly AgentMesh _mesh;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _work = new();
    private readonly CancellationTokenSource _background = new();
    private readonly TaskCompletionSource _graceOver = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopReason;
    private long _killSequence;
    private int _stopping;
    private DirectiveFeed? _feed;
    private Guid _sessionId;
    private long _epoch;
    private long _sessionEpoch;
    private volatile bool _sessionLive = true;

    public AgentRun(SessionMeshAgentOptions options, SessionMeshAgent agent, IGrainFactory grains, TimeProvider time, ILogger logger)
    {
        _options = options;
        _agent = agent;
        _grains = grains;
        _sessions = new SessionManager(grains);
        _mesh = new AgentMesh(grains);
        _time = time;
        _logger = logger;
    }

    /// <summary>The run: the work, then its outcome reported. Never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public AgentStopReason StopReason => (AgentStopReason)Volatile.Read(ref _stopReason);

    /// <summary>Sets up agent, session, leases and directives, then starts the work. Failing here starts nothing.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var context = await SetUpAsync(cancellationToken);
        Completion = RunAsync(context);
    }

    /// <summary>Cancels the work's token (once) and raises the stop reason to <paramref name="reason"/> if it is stronger.</summary>
    public void Stop(AgentStopReason reason, long killSequence = 0)
    {
        if (killSequence > 0)
        {
            Interlocked.CompareExchange(ref _killSequence, killSequence, 0);
        }

        var previous = Volatile.Read(ref _stopReason);
        while ((int)reason > previous)
        {
            var found = Interlocked.CompareExchange(ref _stopReason, (int)reason, previous);
            if (found == previous)
            {
                if (reason is AgentStopReason.KillDirective or AgentStopReason.Killed)
                {
                    LogKilled(_logger, _options.AgentId, reason);
                }

                break;
            }

            previous = found;
        }

        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            _feed?.EndDelivery();
            _ = _work.CancelAsync();
            _ = GraceAsync();
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted)
        {
            // Still reporting (the host gave up waiting): the run cleans up after itself.
            Stop(AgentStopReason.HostStopping);
            return ValueTask.CompletedTask;
        }

        _work.Dispose();
        _background.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether a failed call may succeed when repeated (the mesh or the database was unreachable).</summary>
    internal static bool IsTransient(Exception exception) =>
        exception is TimeoutException or OrleansException or StorageUnavailableException;

    private async Task<AgentContext> SetUpAsync(CancellationToken cancellationToken)
    {
        var o = _options;
        try
        {
            await _mesh.RegisterAsync(o.AgentId, o.Specialization, o.AgentName, cancellationToken: cancellationToken);
        }
        catch (InvalidTransitionException ex)
        {
            throw new InvalidOperationException($"Agent '{o.AgentId}' was killed; a killed agent never runs again. Use another agent id.", ex);
        }

        SessionSnapshot session;
        var spawned = o.SessionId is null;
        if (o.SessionId is { } attach)
        {
            session = await _sessions.GetSessionAsync(attach, cancellationToken);
            if (session.Status != SessionStatus.Active)
            {
                throw new InvalidOperationException($"Session {attach} is {session.Status}; only an Active session can be run.");
            }
        }
        else
        {
            var spawn = new SessionSpawn
            {
                AgentName = o.AgentName ?? o.Specialization,
                Purpose = o.Purpose ?? string.Empty,
                Context = o.Context,
                AgentId = o.AgentId,
                LeaseTtl = o.LeaseTtl,
            };
            session = await _grains.GetGrain<ISessionGrain>(Guid.NewGuid()).StartAsync(spawn, cancellationToken);
        }

        _sessionId = session.Id;
        _sessionEpoch = session.AgentEpoch;
        try
        {
            var agent = await _mesh.GetAgentAsync(o.AgentId, cancellationToken);
            _epoch = agent.Epoch;

            // Leases start with the first heartbeat, before the work starts: no lease may run out before the first beat.
            try
            {
                await _mesh.HeartbeatAgentAsync(o.AgentId, _epoch, o.LeaseTtl, cancellationToken);
            }
            catch (StaleEpochException ex)
            {
                throw new InvalidOperationException($"Agent '{o.AgentId}' was killed while its run was set up.", ex);
            }

            await HeartbeatSessionAsync(cancellationToken);

            // Directives already acknowledged were handled by an earlier run; the rest are delivered now.
            _feed = new DirectiveFeed(_grains, o.AgentId, _epoch, agent.AcknowledgedThrough, o.SubscriptionRenewal, _time, _logger, Stop);
            await _feed.SubscribeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (_feed is not null)
            {
                await _feed.DisposeAsync();
            }

            if (spawned)
            {
                // Nothing runs the session this run spawned: end it now rather than let its lease run out.
                using var deadline = new CancellationTokenSource(ReportDeadline, _time);
                try
                {
                    await TryAsync(ct => _sessions.FailSessionAsync(_sessionId, ErrorText($"setup failed: {ex.Message}"), ct), deadline.Token);
                }
                catch (Exception failEx) when (failEx is not OutOfMemoryException)
                {
                    LogReportFailed(_logger, failEx, o.AgentId, _sessionId);
                }
            }

            throw;
        }

        LogRunning(_logger, o.AgentId, _epoch, _sessionId);
        return new AgentContext(o.AgentId, _epoch, session, _feed, () => StopReason, _sessions, _mesh);
    }

    private async Task RunAsync(AgentContext context)
    {
        var background = new[] { HeartbeatAsync(_background.Token), _feed!.RunAsync(_background.Token) };
        var work = Task.Run(() => _agent.ExecuteAsync(context, _work.Token));
        var returned = false;
        Exception? failure = null;
        try
        {
            if (await Task.WhenAny(work, _graceOver.Task) == work)
            {
                await work;
                returned = true;
            }
            else
            {
                LogWorkOutlivedGrace(_logger, _options.AgentId, _options.Grace);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        // The work is over: no more directives for it, no more heartbeats for it.
        _feed.EndDelivery();
        await _background.CancelAsync();
        await Task.WhenAll(background.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        using var deadline = new CancellationTokenSource(ReportDeadline, _time);
        try
        {
            await ReportAsync(returned, failure, deadline.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReportFailed(_logger, ex, _options.AgentId, _sessionId);
        }

        await _feed.DisposeAsync();
        try
        {
            await _work.CancelAsync(); // whatever the work left running with its token stops too
        }
        catch (AggregateException ex)
        {
            LogCancelCallbacksFailed(_logger, ex, _options.AgentId);
        }
    }

    /// <summary>The work's end is the session's outcome; a kill is the mesh's to record.</summary>
    private async Task ReportAsync(bool returned, Exception? failure, CancellationToken deadline)
    {
        var reason = StopReason;
        if (reason is AgentStopReason.KillDirective or AgentStopReason.Killed)
        {
            if (reason == AgentStopReason.KillDirective && Interlocked.Read(ref _killSequence) is > 0 and var sequence)
            {
                // Acknowledging the kill makes the agent Killed and fails its sessions with "killed".
                await TryAsync(ct => _mesh.AcknowledgeAsync(_options.AgentId, _epoch, sequence, ct), deadline);
            }

            // Already failed by the kill, unless the session is not the agent's own (attached by id).
            await FailIfActiveAsync(Killed, deadline);
            LogOutcome(_logger, _options.AgentId, _sessionId, Killed);
            return;
        }

        await _feed!.FlushAsync(deadline);
        string outcome;
        if (returned)
        {
            outcome = await CompleteIfActiveAsync(deadline) ? "completed" : "left as the work made it";
        }
        else
        {
            // Only the work itself ends a session Failed with its reason; a stop that cut it short says so.
            var error = failure is null || (reason == AgentStopReason.HostStopping && failure is OperationCanceledException)
                ? CutShort
                : ErrorText(failure.Message.Length > 0 ? failure.Message : failure.GetType().Name);
            outcome = await FailIfActiveAsync(error, deadline) ? $"failed: {error}" : "left as the work made it";
        }

        // Ended on purpose: the agent's lease stops, so it stays Idle instead of turning Lost.
        await TryAsync(ct => _grains.GetGrain<IAgentGrain>(_options.AgentId).ReleaseLeaseAsync(_epoch, ct), deadline);
        LogOutcome(_logger, _options.AgentId, _sessionId, outcome);
    }

    private async Task<bool> CompleteIfActiveAsync(CancellationToken deadline)
    {
        var session = await RetryAsync(ct => _sessions.GetSessionAsync(_sessionId, ct), deadline);
        if (session.Status != SessionStatus.Active)
        {
            return false; // handed off or ended by the work itself
        }

        return await TryAsync(ct => _sessions.CompleteSessionAsync(_sessionId, ct), deadline);
    }

    private async Task<bool> FailIfActiveAsync(string error, CancellationToken deadline)
    {
        var session = await RetryAsync(ct => _sessions.GetSessionAsync(_sessionId, ct), deadline);
        return session.Status == SessionStatus.Active && await TryAsync(ct => _sessions.FailSessionAsync(_sessionId, error, ct), deadline);
    }

    /// <summary>Agent and session heartbeats at TTL/3 while the work runs; a fenced epoch is a kill.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseTtl / 3, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await _mesh.HeartbeatAgentAsync(_options.AgentId, _epoch, _options.LeaseTtl, cancellationToken);
                }
                catch (StaleEpochException)
                {
                    // The epoch moved on: the agent was killed. Nothing it runs may go on.
                    Stop(AgentStopReason.Killed);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogHeartbeatFailed(_logger, ex, _options.AgentId);
                }

                try
                {
                    await HeartbeatSessionAsync(cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogHeartbeatFailed(_logger, ex, _options.AgentId);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task HeartbeatSessionAsync(CancellationToken cancellationToken)
    {
        if (!_sessionLive)
        {
            return;
        }

        try
        {
            await _mesh.HeartbeatSessionAsync(_sessionId, _sessionEpoch, _options.LeaseTtl, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidTransitionException or SessionNotFoundException or StaleEpochException)
        {
            // Handed off or ended (by the work, a kill, an expiry): it holds no lease any more. The
            // session itself says so; a refusal it does not confirm is logged and the next beat retries.
            var session = await _sessions.GetSessionAsync(_sessionId, cancellationToken);
            _sessionLive = session.Status == SessionStatus.Active && session.AgentEpoch == _sessionEpoch;
            LogSessionBeatRefused(_logger, ex, _options.AgentId, _sessionId, session.Status, _sessionLive);
        }
    }

    private async Task GraceAsync()
    {
        await Task.Delay(_options.Grace, _time, CancellationToken.None);
        _graceOver.TrySetResult();
    }

    /// <summary>Retries a call while the mesh is unreachable, until the deadline; mesh errors are thrown.</summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken deadline)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await call(deadline);
            }
            catch (Exception ex) when (IsTransient(ex) && !deadline.IsCancellationRequested)
            {
                LogReportRetry(_logger, ex, _options.AgentId);
                await Task.Delay(backoff, _time, deadline);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>One outcome call: retried while the mesh is unreachable; refused by the mesh (already ended, fenced) is not an error.</summary>
    private async Task<bool> TryAsync(Func<CancellationToken, Task> call, CancellationToken deadline)
    {
        try
        {
            await RetryAsync(async ct =>
            {
                await call(ct);
                return true;
            }, deadline);
            return true;
        }
        catch (SessionMeshException ex) when (ex is InvalidTransitionException or StaleEpochException or SessionNotFoundException)
        {
            LogRefused(_logger, _options.AgentId, ex.Message);
            return false;
        }
    }

    /// <summary>An exception message as a session error: no control characters but line breaks and tabs, at most the mesh's text limit.</summary>
    private static string ErrorText(string message)
    {
        var text = new string([.. message.Select(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t') ? ' ' : c)]).Trim();
        text = text.Length == 0 ? "failed" : text;
        return text.Length > Validate.MaxTextLength ? text[..Validate.MaxTextLength] : text;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} (epoch {Epoch}) runs session {SessionId}.")]
    private static partial void LogRunning(ILogger logger, string agentId, long epoch, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId}: session {SessionId} {Outcome}.")]
    private static partial void LogOutcome(ILogger logger, string agentId, Guid sessionId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId} was killed ({Reason}); its work is stopped.")]
    private static partial void LogKilled(ILogger logger, string agentId, AgentStopReason reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: the work did not return within {Grace} of being stopped; the outcome is reported without it.")]
    private static partial void LogWorkOutlivedGrace(ILogger logger, string agentId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: the heartbeat of session {SessionId} was refused; the session is {Status}, beats go on: {Beating}.")]
    private static partial void LogSessionBeatRefused(ILogger logger, Exception exception, string agentId, Guid sessionId, SessionStatus status, bool beating);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: heartbeat failed; the work keeps running and the next beat retries.")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: reporting to the mesh failed; retrying.")]
    private static partial void LogReportRetry(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Agent {AgentId}: the mesh refused an outcome call ({Reason}); it has one already.")]
    private static partial void LogRefused(ILogger logger, string agentId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Agent {AgentId}: a callback on the work's stopping token threw.")]
    private static partial void LogCancelCallbacksFailed(ILogger logger, Exception exception, string agentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Agent {AgentId}: the outcome of session {SessionId} could not be reported.")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string agentId, Guid sessionId);
}
