using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using SessionMesh.Contracts;

namespace SessionMesh.Cli.Run;

/// <summary>What `session-mesh run` was asked to do.</summary>
internal sealed record RunOptions
{
    public required string AgentId { get; init; }
    public required string Specialization { get; init; }
    public string? AgentName { get; init; }
    public string? Purpose { get; init; }
    public string? SessionId { get; init; }
    public required TimeSpan LeaseTtl { get; init; }
    public required TimeSpan Grace { get; init; }
    public required TimeSpan StallAfter { get; init; }
    public bool DirectivesToStdin { get; init; }
    public string? DirectivesFile { get; init; }
    public string? McpConfig { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
}

/// <summary>
/// Supervises one agent process for the mesh: sets up agent, session and key, starts the child,
/// heartbeats for it, delivers directives pushed by the mesh, ships its output to the session log,
/// turns kills into signals and the exit into the session's outcome.
/// </summary>
internal sealed class Runner(RunOptions options, MeshHttp mesh, Uri baseUrl, bool verbose) : IDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly string[] AgentScope = ["agent"];

    private readonly RunnerApi _api = new(baseUrl);
    private readonly LogShipper _logs = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _ackSignal = new(0);
    private readonly object _fileGate = new();
    private Supervisor? _child;
    private string _sessionId = string.Empty;
    private long _epoch;
    private long _sessionEpoch;
    private long _delivered;
    private long _ackTarget;
    private long _lastProgressTicks = DateTimeOffset.UtcNow.UtcTicks;
    private string _directivesPath = string.Empty;


    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new CliException(ExitCodes.Error, "session-mesh run supervises processes through Linux process groups and the parent-death signal; it runs on Linux only.");
        }

        // Leases start with the first heartbeats, answered before the child starts: setup may take
        // longer than a short TTL, and a runner killed the moment its child starts must still leave
        // leases that run out (a lease started concurrently with the child could be lost with it).
        var (keyId, key) = await SetUpAsync(cancellationToken);
        await BeginLeasesAsync(cancellationToken);
        _api.Key = key;
        var heartbeats = HeartbeatAsync(_stopping.Token);
        _child = Supervisor.Start(options.Command, ChildEnvironment(key), options.DirectivesToStdin);
        Say($"agent {options.AgentId} (epoch {_epoch}) runs session {_sessionId}: pid {_child.Process.Id}, directives in {_directivesPath}");

        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ForwardStop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ForwardStop);
        using var onCancel = cancellationToken.Register(() => _child.StopGracefully(StopReason.RunnerSignal, options.Grace));

        var work = new List<Task>
        {
            PumpAsync(_child.Process.StandardOutput, "stdout", Console.Out),
            PumpAsync(_child.Process.StandardError, "stderr", Console.Error),
        };
        var background = new List<Task>
        {
            heartbeats,
            ReceiveDirectivesAsync(_stopping.Token),
            AcknowledgeAsync(_stopping.Token),
            _logs.ShipAsync(_api, ApiRoutes.Logs(_sessionId), _stopping.Token),
        };

        await _child.Process.WaitForExitAsync(CancellationToken.None);
        var code = _child.Process.ExitCode;
        _child.KillLeftovers();
        await Task.WhenAll(work);
        await _stopping.CancelAsync();
        await Task.WhenAll(background.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        var outcome = Describe(code);
        _logs.Add("runner", $"session-mesh run: {outcome}");
        await ReportAsync(code, outcome, keyId);
        Say(outcome);
        return code;
    }

    public void Dispose()
    {
        _child?.Dispose();
        _api.Dispose();
        _stopping.Dispose();
        _ackSignal.Dispose();
    }

    private void ForwardStop(PosixSignalContext context)
    {
        context.Cancel = true; // the runner stays to report the outcome
        _child?.StopGracefully(StopReason.RunnerSignal, options.Grace);
    }

    /// <summary>Agent, session, epoch and the child's key. Retried like every CLI call; failing here starts nothing.</summary>
    private async Task<(string KeyId, string Key)> SetUpAsync(CancellationToken cancellationToken)
    {
        var agent = await mesh.SendAsync<AgentResponse>(HttpMethod.Post, ApiRoutes.Registry,
            new RegistryRequest(options.Specialization, options.AgentId, options.AgentName, LeaseTtl: null),
            safeToRepeat: true, cancellationToken);
        if (agent.Status == AgentStatus.Killed)
        {
            throw new CliException(ExitCodes.Error, $"Agent '{options.AgentId}' was killed; a killed agent never runs again. Use another --agent-id.");
        }

        SessionResponse session;
        if (options.SessionId is { } attach)
        {
            session = await mesh.GetAsync<SessionResponse>(ApiRoutes.Session(attach), cancellationToken);
            if (session.Status != SessionStatus.Active)
            {
                throw new CliException(ExitCodes.Error, $"Session {attach} is {session.Status}; only an Active session can be run.");
            }
        }
        else
        {
            // Leased from birth (lease_ttl): a runner dying during set-up leaves no session Active forever.
            session = await mesh.SendAsync<SessionResponse>(HttpMethod.Post, ApiRoutes.Sessions,
                new SpawnRequest(Guid.NewGuid().ToString(), options.AgentName ?? options.Specialization, options.Purpose, Context: null, options.AgentId, options.LeaseTtl.TotalSeconds),
                safeToRepeat: true, cancellationToken);
        }

        _sessionId = session.Id.ToString();
        _sessionEpoch = session.AgentEpoch;
        agent = await mesh.GetAsync<AgentResponse>(ApiRoutes.Agent(options.AgentId), cancellationToken);
        _epoch = agent.Epoch;
        // Directives already acknowledged were handled by an earlier run; the rest are delivered now.
        _delivered = agent.AcknowledgedThrough;
        _ackTarget = _delivered;

        // Keys cannot be extended, so the child's key outlives any sensible run and is revoked when the run ends.
        var created = await mesh.SendAsync<KeyCreated>(HttpMethod.Post, ApiRoutes.Keys,
            new KeyRequest(7 * 24 * 3600, AgentScope, options.AgentId, _sessionId, $"run-{options.AgentId}-{_sessionId[..8]}"),
            safeToRepeat: false, cancellationToken);
        var key = created.SessionKey;

        _directivesPath = Path.GetFullPath(options.DirectivesFile ?? Path.Combine(Path.GetTempPath(), "session-mesh", $"{_sessionId}.directives.jsonl"));
        Directory.CreateDirectory(Path.GetDirectoryName(_directivesPath)!);
        await File.AppendAllTextAsync(_directivesPath, string.Empty, cancellationToken);
        if (options.McpConfig is { } mcpConfig)
        {
            await McpConfigFile.WriteAsync(mcpConfig, new Uri(baseUrl, "mcp").ToString(), key, cancellationToken);
        }

        return (created.KeyId, key);
    }

    private Dictionary<string, string> ChildEnvironment(string key) => new()
    {
        [RunEnvironment.Url] = baseUrl.ToString().TrimEnd('/'),
        [RunEnvironment.ApiKey] = key,
        [RunEnvironment.AgentId] = options.AgentId,
        [RunEnvironment.SessionId] = _sessionId,
        [RunEnvironment.Epoch] = _epoch.ToString(CultureInfo.InvariantCulture),
        [RunEnvironment.Directives] = _directivesPath,
    };

    /// <summary>Copies the child's output through to the runner's own and into the session log.</summary>
    private async Task PumpAsync(StreamReader from, string stream, TextWriter to)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            Progress();
            _logs.Add(stream, line);
            await to.WriteLineAsync(line);
            await to.FlushAsync();
        }
    }

    /// <summary>The first agent and session heartbeats, retried like set-up; failing here starts nothing.</summary>
    private async Task BeginLeasesAsync(CancellationToken cancellationToken)
    {
        var ttl = options.LeaseTtl.TotalSeconds;
        await mesh.SendAsync(HttpMethod.Post, ApiRoutes.AgentHeartbeat(options.AgentId), new AgentHeartbeatRequest(_epoch, ttl), safeToRepeat: true, cancellationToken);
        await mesh.SendAsync(HttpMethod.Post, ApiRoutes.SessionHeartbeat(_sessionId), new SessionHeartbeatRequest(_sessionEpoch, ttl), safeToRepeat: true, cancellationToken);
    }

    /// <summary>Agent and session heartbeats every TTL/3 while the child lives (after the first ones); the child never has to.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        var period = options.LeaseTtl / 3;
        var sessionLive = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var progressAt = new DateTimeOffset(Interlocked.Read(ref _lastProgressTicks), TimeSpan.Zero);
                var (status, _) = await _api.SendAsync(HttpMethod.Post, ApiRoutes.AgentHeartbeat(options.AgentId),
                    new AgentHeartbeatRequest(_epoch, options.LeaseTtl.TotalSeconds), cancellationToken);
                if (status != HttpStatusCode.OK)
                {
                    Trace($"agent heartbeat answered {(int)status}");
                }

                if (status == HttpStatusCode.Conflict)
                {
                    // The epoch moved on: the agent was killed. Nothing it runs may go on.
                    _child?.StopNow(StopReason.KilledByMesh);
                }

                // The second signal: heartbeats say the process lives, progress says it works.
                await _api.SendAsync(HttpMethod.Post, ApiRoutes.AgentProgress(options.AgentId),
                    new ProgressRequest(_epoch, AgentEpoch: null, progressAt, options.StallAfter.TotalSeconds), cancellationToken);
                if (sessionLive)
                {
                    (status, _) = await _api.SendAsync(HttpMethod.Post, ApiRoutes.SessionHeartbeat(_sessionId),
                        new SessionHeartbeatRequest(_sessionEpoch, options.LeaseTtl.TotalSeconds), cancellationToken);
                    sessionLive = status != HttpStatusCode.Conflict; // handed off or ended by the child itself
                    if (sessionLive)
                    {
                        await _api.SendAsync(HttpMethod.Post, ApiRoutes.SessionProgress(_sessionId),
                            new ProgressRequest(Epoch: null, _sessionEpoch, progressAt, options.StallAfter.TotalSeconds), cancellationToken);
                    }

                    if (status != HttpStatusCode.OK)
                    {
                        Trace($"session heartbeat answered {(int)status}");
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Trace($"heartbeat failed ({ex.Message}); the child keeps running");
            }
        }
    }

    /// <summary>
    /// Directives by push, resumed from the last one delivered after any break, so none is lost or
    /// delivered twice: the stream's event ids are sequences, and anything at or below the mark is skipped.
    /// </summary>
    private async Task ReceiveDirectivesAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await _api.OpenStreamAsync(ApiRoutes.DirectiveStream(options.AgentId), Interlocked.Read(ref _delivered).ToString(CultureInfo.InvariantCulture), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    await foreach (var e in SseReader.ReadAsync(body, cancellationToken))
                    {
                        backoff = TimeSpan.FromMilliseconds(200);
                        if (e.Type == "killed")
                        {
                            _child!.StopNow(StopReason.KilledByMesh);
                            return;
                        }

                        if (e.Type is "directive" or "kill")
                        {
                            await DeliverAsync(e);
                        }
                    }
                }
                else
                {
                    Trace($"directive stream answered {(int)response.StatusCode}; retrying");
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or TaskCanceledException)
            {
                Trace($"directive stream broke ({ex.Message}); reconnecting");
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(backoff, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task DeliverAsync(SseEvent e)
    {
        var sequence = CliJson.Read<DirectiveResponse>(e.Data)!.Sequence;
        if (sequence <= Interlocked.Read(ref _delivered))
        {
            return;
        }

        var line = e.Data.Trim(); // the API's own JSON, one line
        lock (_fileGate)
        {
            File.AppendAllText(_directivesPath, line + "\n");
        }

        if (options.DirectivesToStdin)
        {
            try
            {
                await _child!.Process.StandardInput.WriteLineAsync(line);
                await _child.Process.StandardInput.FlushAsync();
            }
            catch (IOException)
            {
                // The child closed its stdin; the file still has the directive.
            }
        }

        Interlocked.Exchange(ref _delivered, sequence);
        Progress();
        if (e.Type == "kill")
        {
            // Acknowledged once the child is gone (that makes the kill final on the mesh).
            _child!.StopGracefully(StopReason.KillDirective, options.Grace, sequence);
            return;
        }

        Interlocked.Exchange(ref _ackTarget, sequence);
        _ackSignal.Release();
    }

    /// <summary>Acknowledges the latest delivered directive, retrying until the mesh has it.</summary>
    private async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        var acknowledged = Interlocked.Read(ref _ackTarget);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Nothing owed: sleep until a delivery. Owed (the last try failed): try again within a second.
                var owed = Interlocked.Read(ref _ackTarget) > acknowledged;
                await _ackSignal.WaitAsync(owed ? TimeSpan.FromSeconds(1) : Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var target = Interlocked.Read(ref _ackTarget);
            if (target <= acknowledged || _child!.Stopped is not null)
            {
                continue;
            }

            try
            {
                var (status, _) = await _api.SendAsync(HttpMethod.Post, ApiRoutes.Acknowledgements(options.AgentId), new AcknowledgeRequest(_epoch, target), cancellationToken);
                if (status is HttpStatusCode.OK or HttpStatusCode.Conflict)
                {
                    acknowledged = target; // 409: the agent moved on (killed); nothing to acknowledge any more
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Trace($"acknowledgement failed ({ex.Message}); retrying");
            }
        }
    }

    private string Describe(int code)
    {
        if (_child!.Stopped is StopReason.KillDirective or StopReason.KilledByMesh)
        {
            return $"killed ({(code > 128 ? Native.SignalName(code - 128) : $"exit code {code}")})";
        }

        // .NET reports a death by signal N as exit code 128 + N, as shells do.
        return code switch
        {
            0 => "exit code 0",
            > 128 and < 160 => $"killed by {Native.SignalName(code - 128)}",
            _ => $"exit code {code}",
        };
    }

    /// <summary>The exit is the outcome: told to the mesh, retried while it is unreachable, then the key is revoked.</summary>
    private async Task ReportAsync(int code, string outcome, string keyId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await RetryAsync(ct => _logs.FlushAsync(_api, ApiRoutes.Logs(_sessionId), ct), deadline.Token);
        switch (_child!.Stopped)
        {
            case StopReason.KillDirective when _child.KillDirective is { } sequence:
                // Acknowledging the kill makes the agent Killed and fails its session with "killed".
                await RetryAsync(async ct => (await _api.SendAsync(HttpMethod.Post, ApiRoutes.Acknowledgements(options.AgentId), new AcknowledgeRequest(_epoch, sequence), ct)).Status, deadline.Token);
                break;
            case StopReason.KilledByMesh:
                break; // the mesh did it already
            default:
                var (_, session) = await RetryAsync(ct => _api.SendAsync(HttpMethod.Get, ApiRoutes.Session(_sessionId), null, ct), deadline.Token);
                if (CliJson.Read<SessionResponse>(session)?.Status == SessionStatus.Active)
                {
                    // A session the child handed off or ended itself is left as it is.
                    await RetryAsync(async ct => code == 0
                        ? (await _api.SendAsync(HttpMethod.Post, ApiRoutes.Complete(_sessionId), null, ct)).Status
                        : (await _api.SendAsync(HttpMethod.Post, ApiRoutes.Fail(_sessionId), new FailRequest(FailureText(outcome)), ct)).Status,
                        deadline.Token);
                }

                // Ended on purpose: stop the agent's lease so it stays Idle instead of turning Lost.
                await RetryAsync(async ct => (await _api.SendAsync(HttpMethod.Delete, $"{ApiRoutes.AgentHeartbeat(options.AgentId)}?epoch={_epoch}", null, ct)).Status, deadline.Token);
                break;
        }

        await RetryAsync(ct => mesh.SendAsync(HttpMethod.Delete, ApiRoutes.Key(keyId), null, safeToRepeat: true, ct), deadline.Token);
    }

    private string FailureText(string outcome)
    {
        var last = _logs.LastLines(5);
        var text = last.Count == 0 ? outcome : $"{outcome}; last output: {string.Join(" | ", last)}";
        return text.Length > 1000 ? text[..1000] : text;
    }

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken deadline)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await call(deadline);
            }
            catch (Exception ex) when (!deadline.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or CliException)
            {
                Trace($"reporting failed ({ex.Message}); retrying");
                await Task.Delay(backoff, CancellationToken.None);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or CliException)
            {
                Say($"could not report to the mesh: {ex.Message}");
                return default!;
            }
        }
    }

    private async Task RetryAsync(Func<CancellationToken, Task> call, CancellationToken deadline) =>
        await RetryAsync(async ct =>
        {
            await call(ct);
            return true;
        }, deadline);

    private void Progress() => Interlocked.Exchange(ref _lastProgressTicks, DateTimeOffset.UtcNow.UtcTicks);

    private static void Say(string message) => Console.Error.WriteLine($"session-mesh run: {message}");

    private void Trace(string message)
    {
        if (verbose)
        {
            Say(message);
        }
    }
}
