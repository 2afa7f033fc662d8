using SessionMesh.Grains.Liveness;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Liveness;

/// <summary>
/// A liveness shard that was itself stalled does not declare owners dead for its own pause: the
/// heartbeats sent during the stall land first, and a lease that then stays silent still runs out.
/// The stall is a jump of the silo's clock, as a paused process sees the time when it resumes.
/// </summary>
public sealed class ShardStallTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private readonly SteppingClock _clock = new();
    private MeshCluster? _mesh;

    private MeshCluster Mesh => _mesh!;

    public async Task InitializeAsync() => _mesh = await MeshCluster.StartAsync(clock: _clock);

    public async Task DisposeAsync() => await Mesh.DisposeAsync();

    [Fact]
    public async Task A_heartbeat_sent_during_a_stall_of_its_shard_keeps_the_session_and_silence_afterwards_still_expires_it()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Stalled", "p", new SessionContext());
        var key = LeaseKey.ForSession(id);
        await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);

        // The shard resumes 30 s later than it last looked; its ticks see every lease far overdue.
        _clock.Stall(TimeSpan.FromSeconds(30));
        await Task.Delay(LivenessShardGrain.TickPeriod * 3);

        // The owner's heartbeat, sent while the shard stalled, lands: the lease is renewed, not restarted.
        var renewed = await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, renewed.LastHeartbeat.UtcDateTime, TimeSpan.FromSeconds(5));
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(id)).Status);

        // Silence after that is still found: the lease runs out and the session fails.
        var ended = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, 60);
        Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (ended.Status, ended.Error));
        Assert.Null(await LivenessShards.For(Mesh.Client, key).GetAsync(key));
    }

    /// <summary>
    /// A long stall that comes while expiry is already held after a short one (a loaded machine, then
    /// a pause) still gets its hold: only the time held before this stall counts toward
    /// <see cref="StallGuard.MaxHeldInARow"/>, not the stall itself. (Found by a loop of full
    /// runs: the 30 s jump was counted as 30 s of holding, and the session expired at once.)
    /// </summary>
    [Fact]
    public async Task A_long_stall_during_the_hold_of_a_short_one_still_lets_the_heartbeats_sent_meanwhile_land()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("StalledTwice", "p", new SessionContext());
        await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);

        _clock.Stall(StallGuard.StallAllowance * 3);
        await Task.Delay(LivenessShardGrain.TickPeriod * 2);
        _clock.Stall(TimeSpan.FromSeconds(30));
        await Task.Delay(LivenessShardGrain.TickPeriod * 3);

        var renewed = await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, renewed.LastHeartbeat.UtcDateTime, TimeSpan.FromSeconds(5));
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(id)).Status);
    }

    /// <summary>
    /// A shard late on every tick (a machine overloaded for minutes) holds expiry after each stall,
    /// but not for longer than <see cref="StallGuard.MaxHeldInARow"/> in a row: a silent owner
    /// is still found. (Before the bound, each stall renewed the hold and nothing expired.)
    /// </summary>
    [Fact]
    public async Task Stalls_on_every_tick_delay_expiry_but_do_not_suspend_it()
    {
        var id = await Mesh.Sessions.SpawnAgentSessionAsync("Overloaded", "p", new SessionContext());
        await Mesh.Agents.HeartbeatSessionAsync(id, ttl: Ttl);

        using var stop = new CancellationTokenSource();
        var stalls = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                _clock.Stall(TimeSpan.FromSeconds(2));
                await Task.Delay(LivenessShardGrain.TickPeriod);
            }
        });

        try
        {
            var ended = await Eventually.WaitForAsync(() => Mesh.Sessions.GetSessionAsync(id), s => s.Status != SessionStatus.Active, 60);
            Assert.Equal((SessionStatus.Failed, SessionGrain.HeartbeatTimeout), (ended.Status, ended.Error));
        }
        finally
        {
            await stop.CancelAsync();
            await stalls;
        }
    }
}
