namespace SessionMesh.Tests.Infrastructure;

/// <summary>Waiting for what lands shortly after the call that caused it (one-way notifications, timers).</summary>
public static class Eventually
{
    /// <summary>
    /// Reads until <paramref name="done"/> holds or <paramref name="seconds"/> pass, and returns the
    /// last value read: the caller asserts on it, so a timeout fails with what was actually seen.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, double seconds = 10)
    {
        // One-way notifications land shortly after the call that sent them; poll, bounded.
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > until)
            {
                return value;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, checking every 10 ms; throws if it does not
    /// within <paramref name="seconds"/>.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, double seconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
