namespace SessionMesh.Grains.Liveness;

/// <summary>
/// Tells a liveness shard's expiry timer when to hold off because the shard itself was stalled (its
/// process paused, or its turn waited on a slow call): heartbeats sent meanwhile may still be on their
/// way or in its queue, so a lease that looks overdue then is no evidence its owner died. Expiry then
/// waits as long as the stall lasted (at most <see cref="MaxStallHold"/>) for those heartbeats to
/// land, as a silo that finds its own health degraded does not vote others dead.
/// </summary>
/// <remarks>
/// Stalls are measured on the monotonic clock (a wall clock stepped forward is not a stall), from the
/// end of the previous tick (a tick busy expiring many leases is not one either), and inside a tick
/// that waited on nothing: a pause that falls after a tick measured its lateness would otherwise be
/// absorbed into its end and look, to the next tick, like time that passed normally.
/// </remarks>
public sealed class StallGuard(TimeProvider clock, TimeSpan tickPeriod, Action<TimeSpan>? stalled = null)
{
    /// <summary>A tick this much later than due (or a tick this long with nothing to wait on) means the shard was stalled.</summary>
    public static readonly TimeSpan StallAllowance = TimeSpan.FromSeconds(1);

    /// <summary>The longest expiry waits after a stall of the shard.</summary>
    public static readonly TimeSpan MaxStallHold = TimeSpan.FromSeconds(5);

    /// <summary>The longest expiry stays held while stalls follow one another without a break (time held, not counting the stalls themselves).</summary>
    public static readonly TimeSpan MaxHeldInARow = TimeSpan.FromSeconds(10);

    private long _lastTick = clock.GetTimestamp();
    private DateTimeOffset _holdExpiryUntil;
    private DateTimeOffset _holdsBegan;
    private bool _holding;

    /// <summary>
    /// Starts a tick: reads the time (wall clock first, so a stall that lands between the two reads
    /// is seen as one) and says whether expiry is held at that time.
    /// </summary>
    public Tick Begin()
    {
        var now = clock.GetUtcNow();
        var started = clock.GetTimestamp();
        Note(now, clock.GetElapsedTime(_lastTick, started) - tickPeriod);

        // Holds in a row (a machine overloaded for minutes, late on every tick) end after
        // MaxHeldInARow of held time: expiry is delayed, never suspended.
        _holding = now < _holdExpiryUntil && now - _holdsBegan < MaxHeldInARow;
        return new Tick(now, started, _holding);
    }

    /// <summary>Ends a tick; <paramref name="waitedOnOthers"/> when it awaited anything (an owner, the store).</summary>
    public void End(Tick tick, bool waitedOnOthers)
    {
        _lastTick = clock.GetTimestamp();
        if (!waitedOnOthers)
        {
            Note(clock.GetUtcNow(), clock.GetElapsedTime(tick.Started, _lastTick));
        }
    }

    private void Note(DateTimeOffset now, TimeSpan late)
    {
        if (late <= StallAllowance)
        {
            return;
        }

        // A stall is not time held: during a hold its length moves the streak's start along,
        // so a long pause during the hold of a short stall still gets its own hold.
        _holdsBegan = _holding ? _holdsBegan + late : now;
        _holdExpiryUntil = now + (late < MaxStallHold ? late : MaxStallHold);
        _holding = true;
        stalled?.Invoke(late);
    }

    /// <summary>One expiry tick: the time it runs at, and whether expiry waits.</summary>
    public readonly record struct Tick(DateTimeOffset Now, long Started, bool Holding);
}
