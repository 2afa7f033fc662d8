namespace SessionMesh.Tests.Infrastructure;

/// <summary>
/// A silo clock that runs with the system's and can be moved ahead on demand: <see cref="Advance"/>
/// moves the wall clock only (time passes for deadlines and leases), <see cref="Stall"/> moves the
/// monotonic clock too, as a process paused that long sees both when it resumes. Timers still fire on
/// real time.
/// </summary>
public sealed class SteppingClock : TimeProvider
{
    private long _wallTicks;
    private long _monotonicTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _wallTicks));

    public override long GetTimestamp() => base.GetTimestamp() + (Interlocked.Read(ref _monotonicTicks) * TimestampFrequency / TimeSpan.TicksPerSecond);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _wallTicks, by.Ticks);

    public void Stall(TimeSpan by)
    {
        Interlocked.Add(ref _monotonicTicks, by.Ticks);
        Advance(by);
    }
}
