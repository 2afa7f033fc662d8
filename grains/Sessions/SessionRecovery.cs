using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionMesh.Recovery;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>The cluster's one sweeper of unfinished handoffs (key 0).</summary>
[Alias("SessionMesh.Grains.Sessions.ISessionRecoveryGrain")]
internal interface ISessionRecoveryGrain : IGrainWithIntegerKey
{
    /// <summary>Asks every session whose recorded handoff is older than the grace period to finish it; returns how many finished.</summary>
    [Alias("sweep")]
    Task<int> SweepAsync();
}

/// <summary>
/// Finds sessions holding a recorded handoff (the <c>ResumeTicks</c> column of their catalog row,
/// written with the intent itself) and asks each to resume. This is what makes an interrupted
/// handoff finish after a silo crash without a reminder per handoff: the record is durable, and
/// every silo's <see cref="SessionRecoveryKeeper"/> asks for a sweep, so recovery runs while any
/// silo runs. Calls go one way only: this grain awaits sessions, sessions never call it.
/// </summary>
[GrainType("session-recovery")]
internal sealed partial class SessionRecoveryGrain(
    ISessionCatalog catalog,
    [FromKeyedServices(MeshClock.Key)] TimeProvider clock,
    ILogger<SessionRecoveryGrain> logger) : Grain, ISessionRecoveryGrain
{
    /// <summary>A handoff younger than this is most likely still running in its own call: left alone.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private const int PageSize = 100;
    private const int MaxPages = 10;

    public async Task<int> SweepAsync()
    {
        var before = clock.GetUtcNow() - Grace;
        SessionCatalogEntry? after = null;
        var finished = 0;
        for (var page = 0; page < MaxPages; page++)
        {
            var due = await catalog.ListResumeDueAsync(before, after, PageSize, CancellationToken.None);
            finished += (await Task.WhenAll(due.Select(entry => ResumeAsync(entry.SessionId)))).Sum();
            if (due.Count < PageSize)
            {
                break;
            }

            after = due[^1];
        }

        return finished;
    }

    private async Task<int> ResumeAsync(Guid sessionId)
    {
        try
        {
            return await GrainFactory.GetGrain<ISessionGrain>(sessionId).AsReference<IResumableGrain>().ResumeAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still recorded: the next sweep asks again.
            LogNotResumed(logger, ex, sessionId);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: its recorded handoff could not be resumed by the sweep; the next sweep retries.")]
    private static partial void LogNotResumed(ILogger logger, Exception exception, Guid sessionId);
}

/// <summary>
/// Runs in every silo and asks the recovery grain for a sweep every <see cref="Period"/> (the first
/// shortly after start), so unfinished handoffs are driven to completion while any silo runs. The
/// cost is one indexed query per period, whatever the number of sessions.
/// </summary>
public sealed partial class SessionRecoveryKeeper(IGrainFactory grains, ILogger<SessionRecoveryKeeper> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstSweep = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Delay(FirstSweep, stoppingToken);
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                await grains.GetGrain<ISessionRecoveryGrain>(0).SweepAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The handoff recovery sweep failed; retrying on the next tick.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
