using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionMesh.Bench;
using SessionMesh.Client;
using SessionMesh.Discovery;
using SessionMesh.Sessions;
using SessionMesh.Silo.Hosting;

// Load generator: one embedded silo (real SQLite in a temp dir) and an Orleans client that talks to
// it over the loopback gateway, as an application would. Prints Markdown tables for BENCHMARKS.md
// and, with --json FILE, adds its named figures to FILE (bench/run.sh runs every mode that way).
var options = BenchOptions.Parse(args);
if (options.Postgres is { } postgres)
{
    await ClusterBench.RunAsync(postgres, options.Concurrency, options.Duration);
    await Figures.SaveAsync(options.Json);
    return;
}

if (args.Contains("--page"))
{
    await PageBench.RunAsync(args);
    return;
}

if (args.Contains("--tls"))
{
    await TlsBench.RunAsync(options.Concurrency, options.Duration);
    return;
}

if (args.Contains("--scale"))
{
    await ScaleBench.RunAsync(options);
    await Figures.SaveAsync(options.Json);
    return;
}

if (args.Contains("--discovery-scale"))
{
    await DiscoveryScaleBench.RunAsync(options);
    await Figures.SaveAsync(options.Json);
    return;
}

if (args.Contains("--json-file-design"))
{
    await JsonFileDesignBench.RunAsync(options);
    await Figures.SaveAsync(options.Json);
    return;
}

await using var mesh = await EmbeddedMesh.StartAsync(options.SiloPort, options.GatewayPort);
Console.WriteLine($"# SessionMesh bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, data {mesh.DataDirectory}");
var grains = mesh.Grains;
var sessions = mesh.Sessions;
var agents = mesh.Agents;

if (options.Steer > 0)
{
    await SteerBench.RunAsync(agents, options.Steer);
    return;
}

// Heartbeats vs no-op calls, same concurrency, same duration, same run.
const int Agents = 1024;
await Parallel.ForEachAsync(Enumerable.Range(0, Agents), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
    await agents.RegisterAsync($"bench-agent-{i}", "bench", leaseTtl: TimeSpan.FromMinutes(10), cancellationToken: ct));

// The no-op's references are made once: the yardstick is the bare call. (Orleans 10 resolves a
// grain interface by reflection on every GetGrain; the heartbeat path keeps its shard references.)
var noops = Enumerable.Range(0, Agents).Select(i => grains.GetGrain<INoOpGrain>(i)).ToArray();

// Both paths warmed up (compiled, activations made) until the JIT settles, before either is timed:
// with 3 s each, the no-op (timed first) still shared the CPU with tier-1 compilation of the
// calling path both use, and one quick run read heartbeats at 1.6 times its rate.
await Load.WarmUpAsync("no-op calls and heartbeats", options.Duration * 6, async () =>
{
    await Load.RunAsync("warm-up", options.Concurrency, TimeSpan.FromSeconds(2), i => noops[i % Agents].PingAsync());
    await Load.RunAsync("warm-up", options.Concurrency, TimeSpan.FromSeconds(2), i => agents.HeartbeatAgentAsync($"bench-agent-{i % Agents}", epoch: 1));
});
var noop = await Load.RunAsync("no-op grain call", options.Concurrency, options.Duration, i => noops[i % Agents].PingAsync());
var beat = await Load.RunAsync("agent heartbeat", options.Concurrency, options.Duration, i => agents.HeartbeatAgentAsync($"bench-agent-{i % Agents}", epoch: 1));

Console.WriteLine();
Console.WriteLine($"| operation (concurrency {options.Concurrency}, {options.Duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
Console.WriteLine("|---|---:|---:|---:|");
Console.WriteLine(noop.Row);
Console.WriteLine(beat.Row);
Console.WriteLine($"\nheartbeat / no-op = {beat.PerSecond / noop.PerSecond:P0}");
Figures.Set("noop_calls_per_s", noop.PerSecond);
Figures.Set("heartbeats_per_s", beat.PerSecond);
Figures.Set("heartbeat_p99_ms", beat.P99);
Figures.Set("heartbeat_vs_noop", beat.PerSecond / noop.PerSecond);

// Persisted spawns at concurrency 64 (no lease, no heartbeat): one write each, shared transactions.
var committer = mesh.Silo.Services.GetRequiredService<SessionMesh.Storage.GroupCommitter>();
await Load.WarmUpAsync("SQLite spawns", options.Duration * 6,
    () => Load.RunAsync("warm-up", 64, TimeSpan.FromSeconds(3), _ => sessions.SpawnAgentSessionAsync("Warm", "up", new SessionContext())));
var commitsBefore = committer.Commits;
var spawnRun = await Load.RunAsync("spawn (persisted, SQLite)", 64, options.Duration, _ => sessions.SpawnAgentSessionAsync("BenchAgent", "spawn", new SessionContext()));
var spawnCommits = committer.Commits - commitsBefore;
Console.WriteLine();
Console.WriteLine($"| operation (concurrency 64, {options.Duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
Console.WriteLine("|---|---:|---:|---:|");
Console.WriteLine(spawnRun.Row);
Console.WriteLine($"session-state transactions for those spawns: {spawnCommits:N0}, shared transactions rolled back: {committer.RolledBack:N0}");
Figures.Set("sqlite_spawns_per_s", spawnRun.PerSecond);
Figures.Set("sqlite_spawn_p99_ms", spawnRun.P99);
Figures.Set("sqlite_spawn_writes_per_transaction", spawnRun.PerSecond * options.Duration.TotalSeconds / Math.Max(1, spawnCommits));

// Alive discovery with many tracked sessions, and what they cost in memory.
if (options.Sessions > 0)
{
    var management = grains.GetGrain<IManagementGrain>(0);
    var baseline = await IdleMemoryAsync(management);
    var spawned = 0;
    var watch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, options.Sessions), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (i, ct) =>
    {
        var id = await sessions.SpawnAgentSessionAsync("BenchAgent", "discovery", new SessionContext(), cancellationToken: ct);
        await agents.HeartbeatSessionAsync(id, ttl: TimeSpan.FromHours(1), cancellationToken: ct);
        if (Interlocked.Increment(ref spawned) % 20_000 == 0)
        {
            Console.WriteLine($"  {spawned} sessions spawned and heartbeating ({watch.Elapsed.TotalSeconds:0} s)");
        }
    });
    var scale = Figures.Scale(options.Sessions);
    Console.WriteLine($"\n{options.Sessions} sessions spawned + first heartbeat in {watch.Elapsed.TotalSeconds:0.0} s ({options.Sessions / watch.Elapsed.TotalSeconds:0} /s, persisted)");
    Figures.Set($"spawn_and_heartbeat_per_s_{scale}", options.Sessions / watch.Elapsed.TotalSeconds);

    // Every session grain is active now (discovery reads the pages' rows either way; what differs
    // is the heap the collector walks).
    var active = GC.GetTotalMemory(forceFullCollection: true);
    var activations = await management.GetTotalActivationCount();
    // One unrecorded page first: the discovery path compiles on its first use.
    await agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Limit = 100 });
    var warmPause = GC.GetTotalPauseDuration();
    var warm = await DiscoveryScaleBench.AlivePagesAsync(agents, options.DiscoverySamples);
    warmPause = GC.GetTotalPauseDuration() - warmPause;

    // Once idle they deactivate (forced here; in production after two idle minutes) and what
    // stays is each session's lease in its liveness shard.
    var idle = await IdleMemoryAsync(management);
    var remaining = await management.GetTotalActivationCount();
    var cold = await DiscoveryScaleBench.AlivePagesAsync(agents, options.DiscoverySamples);
    var perActive = (active - idle) / (double)options.Sessions;
    var perLease = (idle - baseline) / (double)options.Sessions;
    Console.WriteLine($"memory: {perActive:0} bytes per active session grain, {perLease:0} bytes per tracked lease once idle sessions deactivated ({activations:N0} → {remaining:N0} activations)");
    Figures.Set("memory_per_active_session_bytes", perActive);
    Figures.Set("memory_per_tracked_lease_bytes", perLease);
    Figures.Set("activations_left_after_idle_collection", remaining);

    Console.WriteLine();
    Console.WriteLine($"| alive discovery, page of 100, {options.Sessions} tracked sessions ({options.DiscoverySamples} consecutive pages) | p50 ms | p99 ms |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| GET alive, session grains active | {Load.Percentile(warm, 0.50):0.00} | {Load.Percentile(warm, 0.99):0.00} |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| GET alive, session grains deactivated (read from SQLite) | {Load.Percentile(cold, 0.50):0.00} | {Load.Percentile(cold, 0.99):0.00} |"));
    Figures.Set($"alive_p50_ms_{scale}", Load.Percentile(warm, 0.50));
    Figures.Set($"alive_p99_ms_{scale}", Load.Percentile(warm, 0.99));
    Figures.Set($"alive_cold_p50_ms_{scale}", Load.Percentile(cold, 0.50));
    Figures.Set($"alive_cold_p99_ms_{scale}", Load.Percentile(cold, 0.99));
    Console.WriteLine($"garbage collection paused the process for {warmPause.TotalMilliseconds:0} ms in all during the {options.DiscoverySamples} pages with the session grains active");
    Figures.Set($"alive_gc_pause_ms_total_{scale}", warmPause.TotalMilliseconds);
}

await Figures.SaveAsync(options.Json);

// Deactivates every grain idle for a second (session and agent grains; the liveness shards tick
// every second and stay) and returns the heap after a full collection.
static async Task<long> IdleMemoryAsync(IManagementGrain management)
{
    await Task.Delay(TimeSpan.FromSeconds(2));
    await management.ForceActivationCollection(TimeSpan.FromSeconds(1));
    await Task.Delay(TimeSpan.FromSeconds(1));
    return GC.GetTotalMemory(forceFullCollection: true);
}

internal sealed record BenchOptions(int Concurrency, TimeSpan Duration, int Sessions, int DiscoverySamples, string? Postgres, int Steer = 0, int SiloPort = 21111, int GatewayPort = 40000, string? Json = null, string? Points = null)
{
    /// <summary>The stored-session counts given by --points (comma-separated), else <paramref name="defaults"/>.</summary>
    public int[] PointsOr(int[] defaults) => string.IsNullOrEmpty(Points)
        ? defaults
        : [.. Points.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))];

    public static BenchOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        return new BenchOptions(
            int.Parse(Value("--concurrency", "256"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Value("--seconds", "10"), CultureInfo.InvariantCulture)),
            int.Parse(Value("--sessions", "100000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--pages", "200"), CultureInfo.InvariantCulture),
            Array.IndexOf(args, "--postgres") >= 0 ? Value("--postgres", "") : null,
            int.Parse(Value("--steer", "0"), CultureInfo.InvariantCulture),
            int.Parse(Value("--silo-port", "21111"), CultureInfo.InvariantCulture),
            int.Parse(Value("--gateway-port", "40000"), CultureInfo.InvariantCulture),
            Array.IndexOf(args, "--json") >= 0 ? Path.GetFullPath(Value("--json", "latest.json")) : null,
            Value("--points", ""));
    }
}
