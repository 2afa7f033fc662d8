using SessionMesh.Grains.Liveness;

namespace SessionMesh.Tests.Liveness;

/// <summary>
/// The expiry hold of a liveness shard after its own stalls, tick by tick on a clock the test moves:
/// where the time of a pause falls relative to a tick's reads is chosen here, not left to the machine.
/// </summary>
public sealed class StallGuardTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);
    private readonly ScriptedClock _clock = new();
    private readonly List<TimeSpan> _stalls = [];
    private readonly StallGuard _guard;

    public StallGuardTests() => _guard = new StallGuard(_clock, Period, _stalls.Add);

    [Fact]
    public void Ticks_on_time_never_hold_expiry()
    {
        for (var i = 0; i < 20; i++)
        {
            Assert.False(TickAfter(Period).Holding);
        }

        Assert.Empty(_stalls);
    }

    [Fact]
    public void A_late_tick_holds_expiry_for_as_long_as_the_stall_lasted()
    {
        Assert.True(TickAfter(Period + TimeSpan.FromSeconds(3)).Holding);
        Assert.Equal([TimeSpan.FromSeconds(3)], _stalls);

        // Ticks on time after it stay held until three seconds have passed.
        var held = TimeSpan.Zero;
        while (TickAfter(Period).Holding)
        {
            held += Period;
        }

        Assert.Equal(TimeSpan.FromSeconds(3) - Period, held);
    }

    [Fact]
    public void A_wall_clock_stepped_forward_is_not_a_stall()
    {
        _clock.Wall += TimeSpan.FromHours(1);
        Assert.False(TickAfter(Period).Holding);
        Assert.Empty(_stalls);
    }

    /// <summary>
    /// A pause that falls after a tick read its lateness, before it ended, is still a stall. (Found by
    /// a full run: the pause was taken into the tick's end, the next tick looked on time, and a lease
    /// whose heartbeat was on its way expired 0.8 s after a 30 s stall.)
    /// </summary>
    [Fact]
    public void A_pause_inside_a_tick_that_waited_on_nothing_holds_the_next_tick()
    {
        _clock.Pass(Period);
        _clock.AfterNextTimestamp = () => _clock.Pass(TimeSpan.FromSeconds(30));
        var paused = _guard.Begin();
        Assert.False(paused.Holding);
        _guard.End(paused, waitedOnOthers: false);

        Assert.True(TickAfter(Period).Holding);
        Assert.Equal([TimeSpan.FromSeconds(30)], _stalls);
    }

    [Fact]
    public void A_tick_busy_waiting_on_owners_is_not_a_stall()
    {
        _clock.Pass(Period);
        var busy = _guard.Begin();
        _clock.Pass(TimeSpan.FromSeconds(30));
        _guard.End(busy, waitedOnOthers: true);

        Assert.False(TickAfter(Period).Holding);
        Assert.Empty(_stalls);
    }

    [Fact]
    public void Stalls_on_every_tick_hold_expiry_for_at_most_the_bound_in_a_row()
    {
        var held = TimeSpan.Zero;
        while (TickAfter(Period + TimeSpan.FromSeconds(2)).Holding)
        {
            held += Period;
            Assert.True(held <= StallGuard.MaxHeldInARow + Period, $"held for {held}");
        }

        Assert.True(held >= StallGuard.MaxHeldInARow - Period - TimeSpan.FromSeconds(2), $"held for only {held}");
    }

    private StallGuard.Tick TickAfter(TimeSpan wait)
    {
        _clock.Pass(wait);
        var tick = _guard.Begin();
        _guard.End(tick, waitedOnOthers: false);
        return tick;
    }

    /// <summary>A wall clock and a monotonic clock the test moves; a step can be set to fall right after the next monotonic read.</summary>
    private sealed class ScriptedClock : TimeProvider
    {
        private long _monotonic;

        public DateTimeOffset Wall { get; set; } = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);

        public Action? AfterNextTimestamp { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow() => Wall;

        public override long GetTimestamp()
        {
            var read = _monotonic;
            var step = AfterNextTimestamp;
            AfterNextTimestamp = null;
            step?.Invoke();
            return read;
        }

        /// <summary>Time passes (or the process is paused) for both clocks.</summary>
        public void Pass(TimeSpan by)
        {
            _monotonic += by.Ticks;
            Wall += by;
        }
    }
}
