using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionMesh.Liveness;

namespace SessionMesh.Grains.Liveness;

/// <summary>
/// Runs in every silo and pings every liveness shard every few seconds, so a shard lost with its
/// silo is reactivated on a survivor (restoring its leases) even when no client calls. The cost is
/// fixed: the shard count, not the number of leases.
/// </summary>
public sealed partial class LivenessKeeper(IGrainFactory grains, ILogger<LivenessKeeper> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                await Task.WhenAll(Enumerable.Range(0, LivenessShards.Count).Select(shard => ShardReferences.For<ILivenessShardGrain>(grains, shard).PingAsync()));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPingFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pinging the liveness shards failed; retrying on the next tick.")]
    private static partial void LogPingFailed(ILogger logger, Exception exception);
}
