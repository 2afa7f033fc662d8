using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using SessionMesh.Client;
using SessionMesh.Sessions;

namespace SessionMesh.Bench;

/// <summary>Closed-loop load: N workers call an operation back to back for a duration.</summary>
internal static class Load
{
    public static async Task<Result> RunAsync(string name, int concurrency, TimeSpan duration, Func<int, Task> operation)
    {
        var stop = DateTime.UtcNow + duration;
        var samples = new List<double>[concurrency];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = samples[worker] = new List<double>(100_000);
            var i = worker;
            while (DateTime.UtcNow < stop)
            {
                var started = Stopwatch.GetTimestamp();
                await operation(i);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                i += concurrency;
            }
        }));
        var elapsed = watch.Elapsed;
        var all = samples.SelectMany(s => s).Order().ToList();
        return new Result(name, all.Count / elapsed.TotalSeconds, Percentile(all, 0.5), Percentile(all, 0.99));
    }

    /// <summary>
    /// Warms up until the JIT has settled: <paramref name="round"/> again and again until one round
    /// compiles fewer than 100 methods, or <paramref name="limit"/> has passed. A fixed few seconds
    /// were not enough: a CPU profile 20 s into a PostgreSQL run still had tiered compilation on a
    /// sixth of the CPU (2,500 methods compiled in 10 s), so timed figures were partly the JIT's.
    /// </summary>
    public static async Task WarmUpAsync(string what, TimeSpan limit, Func<Task> round)
    {
        const long Settled = 100;
        var watch = Stopwatch.StartNew();
        var rounds = 0;
        long compiled;
        do
        {
            var before = JitInfo.GetCompiledMethodCount();
            await round();
            compiled = JitInfo.GetCompiledMethodCount() - before;
            rounds++;
        }
        while (compiled >= Settled && watch.Elapsed < limit);
        Console.Error.WriteLine($"warm-up ({what}): {rounds} rounds in {watch.Elapsed.TotalSeconds:0} s, {compiled} methods compiled in the last");
    }

    /// <summary>
    /// Persisted handoffs for <paramref name="duration"/>: parents (as many as <paramref name="expected"/>
    /// handoffs) are spawned beforehand, so a timed call is the handoff alone.
    /// </summary>
    public static async Task<Result> HandoffsAsync(SessionManager sessions, string name, int concurrency, TimeSpan duration, double expected)
    {
        var parents = new Guid[(int)Math.Max(concurrency, expected)];
        await Parallel.ForEachAsync(Enumerable.Range(0, parents.Length), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
            async (i, ct) => parents[i] = await sessions.SpawnAgentSessionAsync("CodeGenAgent", "parent", new SessionContext(), cancellationToken: ct));
        var next = -1;
        return await RunAsync(name, concurrency, duration, async _ =>
        {
            var i = Interlocked.Increment(ref next);
            var parent = i < parents.Length ? parents[i] : await sessions.SpawnAgentSessionAsync("CodeGenAgent", "parent", new SessionContext());
            await sessions.HandoffAsync(parent, "ReviewAgent", new SessionContext { CurrentPhase = Phase.Review });
        });
    }

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}

internal sealed record Result(string Name, double PerSecond, double P50, double P99)
{
    public string Row => string.Create(CultureInfo.InvariantCulture, $"| {Name} | {PerSecond:0} | {P50:0.00} | {P99:0.00} |");
}
