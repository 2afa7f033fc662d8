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
// it over the loopback gateway, as an application would. Prints a Markdown table for BENCHMARKS.md.
var options = BenchOptions.Parse(args);
if (options.Postgres is { } postgres)
{
    await ClusterBench.RunAsync(postgres, options.Concurrency, options.Duration);
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

var dataDirectory = Directory.CreateTempSubdirectory("sessionmesh-bench-").FullName;
Console.WriteLine($"# SessionMesh bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, data {dataDirectory}");

var siloBuilder = Host.CreateApplicationBuilder();
siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
siloBuilder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(siloPort: options.SiloPort, gatewayPort: options.GatewayPort);
    silo.UseSessionMesh(dataDirectory);
});
using var siloHost = siloBuilder.Build();
await siloHost.StartAsync();

var clientBuilder = Host.CreateApplicationBuilder();
clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort: options.GatewayPort));
clientBuilder.Services.AddSessionManager();
using var clientHost = clientBuilder.Build();
await clientHost.StartAsync();
var grains = clientHost.Services.GetRequiredService<IClusterClient>();
var sessions = clientHost.Services.GetRequiredService<SessionManager>();
var agents = clientHost.Services.GetRequiredService<AgentMesh>();

if (options.Steer > 0)
{
    await SteerBench.RunAsync(agents, options.Steer);
    await clientHost.StopAsync();
    await siloHost.StopAsync();
    Directory.Delete(dataDirectory, recursive: true);
    return;
}

// Heartbeats vs no-op calls, same concurrency, same duration, same run.
const int Agents = 1024;
await Parallel.ForEachAsync(Enumerable.Range(0, Agents), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
    await agents.RegisterAsync($"bench-agent-{i}", "bench", leaseTtl: TimeSpan.FromMinutes(10), cancellationToken: ct));

await Load.RunAsync("warm-up", options.Concurrency, TimeSpan.FromSeconds(3), i => grains.GetGrain<INoOpGrain>(i % Agents).PingAsync());
var noop = await Load.RunAsync("no-op grain call", options.Concurrency, options.Duration, i => grains.GetGrain<INoOpGrain>(i % Agents).PingAsync());
var beat = await Load.RunAsync("agent heartbeat", options.Concurrency, options.Duration, i => agents.HeartbeatAgentAsync($"bench-agent-{i % Agents}", epoch: 1));

Console.WriteLine();
Console.WriteLine($"| operation (concurrency {options.Concurrency}, {options.Duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
Console.WriteLine("|---|---:|---:|---:|");
Console.WriteLine(noop.Row);
Console.WriteLine(beat.Row);
Console.WriteLine($"\nheartbeat / no-op = {beat.PerSecond / noop.PerSecond:P0}");

// Persisted spawns at concurrency 64 (no lease, no heartbeat): one write each, shared transactions.
var committer = siloHost.Services.GetRequiredService<SessionMesh.Silo.Storage.GroupCommitter>();
var commitsBefore = committer.Commits;
var spawnRun = await Load.RunAsync("spawn (persisted, SQLite)", 64, options.Duration, _ => sessions.SpawnAgentSessionAsync("BenchAgent", "spawn", new SessionContext()));
Console.WriteLine();
Console.WriteLine($"| operation (concurrency 64, {options.Duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
Console.WriteLine("|---|---:|---:|---:|");
Console.WriteLine(spawnRun.Row);
Console.WriteLine($"session-state transactions for those spawns: {committer.Commits - commitsBefore:N0}, shared transactions rolled back: {committer.RolledBack:N0}");

// Alive discovery with many tracked sessions.
if (options.Sessions > 0)
{
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
    Console.WriteLine($"\n{options.Sessions} sessions spawned + first heartbeat in {watch.Elapsed.TotalSeconds:0.0} s ({options.Sessions / watch.Elapsed.TotalSeconds:0} /s, persisted)");

    var latencies = new List<double>();
    string? cursor = null;
    for (var i = 0; i < options.DiscoverySamples; i++)
    {
        var started = Stopwatch.GetTimestamp();
        var page = await agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Limit = 100, Cursor = cursor });
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        cursor = page.NextCursor;
        if (page.Sessions.Count != 100)
        {
            throw new InvalidOperationException($"expected a full page, got {page.Sessions.Count}");
        }
    }

    latencies.Sort();
    Console.WriteLine();
    Console.WriteLine($"| alive discovery, page of 100, {options.Sessions} tracked sessions ({options.DiscoverySamples} consecutive pages) | p50 ms | p99 ms |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| GET alive | {Load.Percentile(latencies, 0.50):0.00} | {Load.Percentile(latencies, 0.99):0.00} |"));
}

await clientHost.StopAsync();
await siloHost.StopAsync();
Directory.Delete(dataDirectory, recursive: true);

internal sealed record BenchOptions(int Concurrency, TimeSpan Duration, int Sessions, int DiscoverySamples, string? Postgres, int Steer = 0, int SiloPort = 21111, int GatewayPort = 40000)
{
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
            int.Parse(Value("--gateway-port", "40000"), CultureInfo.InvariantCulture));
    }
}
