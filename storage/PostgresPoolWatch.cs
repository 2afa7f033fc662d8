using Npgsql;

namespace SessionMesh.Storage;

/// <summary>
/// Finds the pool's connections dead after a PostgreSQL restart, without blocking a thread.
/// </summary>
/// <remarks>
/// Npgsql's own keepalive (the <c>Keepalive</c> connection setting) pings every idle pooled
/// connection <em>synchronously</em> on a thread-pool thread. On a frozen server each ping holds its
/// thread for the command timeout, so a pool with dozens of idle connections starved the silo:
/// timers fired seconds late and even <c>/health/live</c> went unanswered. Instead, one asynchronous
/// <c>SELECT 1</c> every <see cref="Period"/> borrows a pooled connection; when the connection
/// itself failed (the server closed it while restarting), the pool is cleared, so the calls that
/// follow get fresh connections instead of failing one dead connection at a time. A ping that does
/// not answer (a frozen server) is simply waited for — nothing else depends on it.
/// </remarks>
public sealed partial class PostgresPoolWatch(NpgsqlDataSource dataSource, ILogger<PostgresPoolWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(stoppingToken);
            }
            catch (Exception ex) when (StorageFaults.FindDatabaseError(ex) is { } fault && StorageFaults.IsConnectionFault(fault))
            {
                LogCleared(logger, fault.GetType().Name, fault.Message);
                StorageFaults.DropPooledConnections(dataSource);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not a connection fault (e.g. the server refuses new connections while starting):
                // the calls themselves report it; the watch only keeps the pool honest.
                LogPingFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL connection check failed ({Kind}: {Reason}); idle pooled connections dropped.")]
    private static partial void LogCleared(ILogger logger, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "PostgreSQL connection check failed: {Kind}: {Reason}.")]
    private static partial void LogPingFailed(ILogger logger, string kind, string reason);
}
