using Microsoft.Extensions.Options;
using SessionMesh.Grains.Observability;
using SessionMesh.Grains.Sessions;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Silo.Observability;

/// <summary>
/// Feeds the sessions-by-status gauge from the stored counters (four rows, never a scan) every
/// <see cref="MeshTelemetryOptions.StatsRefresh"/>, so a scrape never waits on the database.
/// </summary>
public sealed partial class SessionStatsGauge(ISessionCatalog catalog, IOptions<SessionMeshOptions> options, ILogger<SessionStatsGauge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Telemetry.StatsRefresh);
        do
        {
            try
            {
                var stats = await catalog.GetStatsAsync(stoppingToken);
                MeshMetrics.SetSessionCounts(stats.Active, stats.HandedOff, stats.Completed, stats.Failed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be starting or down; the gauge keeps its last value and tries again.
                LogReadFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session counters not read for the metrics gauge: {Kind}: {Message}")]
    private static partial void LogReadFailed(ILogger logger, string kind, string message);
}
