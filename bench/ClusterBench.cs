using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using SessionMesh.Client;
using SessionMesh.Sessions;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Bench;

/// <summary>
/// Persisted spawn and handoff throughput on a three-silo cluster sharing one PostgreSQL, next to
/// the raw rate of a single-row upsert to the same PostgreSQL, in the same run.
/// </summary>
internal static class ClusterBench
{
    private static readonly TimeSpan WarmUpRound = TimeSpan.FromSeconds(4);

    public static async Task RunAsync(string connectionString, int concurrency, TimeSpan duration)
    {
        var cluster = $"bench-{Guid.NewGuid():N}";
        Console.WriteLine($"# SessionMesh cluster bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, 3 silos in this process, PostgreSQL");
        var silos = new List<IHost>();

        // Free loopback ports, not fixed ones: a port still held (another run, a socket in TIME_WAIT) aborted the bench.
        var ports = FreePorts(6);
        var (siloPorts, gatewayPorts) = (ports[..3], ports[3..]);
        for (var i = 0; i < 3; i++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var index = i;
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster, cluster));
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPorts[index], gatewayPorts[index], listenOnAnyHostAddress: false);
                silo.UseSessionMesh(Path.GetTempPath(), connectionString);
                silo.UseFastFailover();
            });
            var host = builder.Build();
            await host.StartAsync();
            silos.Add(host);
        }

        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        clientBuilder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster, cluster));
            client.UseStaticClustering([.. Enumerable.Range(0, 3).Select(i => new IPEndPoint(IPAddress.Loopback, gatewayPorts[i]))]);
        });
        clientBuilder.Services.AddSessionManager();
        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var sessions = clientHost.Services.GetRequiredService<SessionManager>();

        // Spawns and handoffs, so both paths are measured warm.
        // At most 9 timed durations (90 s, or 45 s under --quick, whose figures are shorter anyway).
        await Load.WarmUpAsync("PostgreSQL spawns and handoffs", duration * 9, async () =>
        {
            await Load.RunAsync("warm-up", concurrency, WarmUpRound, _ => sessions.SpawnAgentSessionAsync("Warm", "up", new SessionContext()));
            await Load.HandoffsAsync(sessions, "warm-up (handoffs)", concurrency, WarmUpRound / 2, concurrency * 10);
        });
        var spawn = await Load.RunAsync("spawn (persisted)", concurrency, duration, _ => sessions.SpawnAgentSessionAsync("CodeGenAgent", "bench", new SessionContext()));

        var handoff = await Load.HandoffsAsync(sessions, "handoff (persisted: parent + child)", concurrency, duration, spawn.PerSecond * duration.TotalSeconds);

        // The silos' own data source settings (automatic preparation included), so the baseline is not handicapped.
        await using var dataSource = SessionMesh.Storage.MeshStorageExtensions.CreatePostgresDataSource(connectionString);
        await using (var create = dataSource.CreateCommand("CREATE TABLE IF NOT EXISTS bench_upsert (id integer PRIMARY KEY, v bigint NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var upsert = await Load.RunAsync("raw single-row upsert (Npgsql)", concurrency, duration, async i =>
        {
            await using var command = dataSource.CreateCommand("INSERT INTO bench_upsert (id, v) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET v = bench_upsert.v + 1");
            command.Parameters.AddWithValue(i % 100_000);
            await command.ExecuteNonQueryAsync();
        });

        // The design SessionMesh avoids: every heartbeat updates its session's row (1,024 rows, as
        // many as the heartbeat bench's agents), at the heartbeat bench's concurrency of 256.
        await using (var create = dataSource.CreateCommand("DROP TABLE IF EXISTS bench_heartbeat; CREATE TABLE bench_heartbeat (id integer PRIMARY KEY, seen timestamptz NOT NULL); INSERT INTO bench_heartbeat SELECT g, now() FROM generate_series(0, 1023) g;"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var rowPerBeat = await Load.RunAsync("row update per heartbeat (Npgsql, concurrency 256)", 256, duration, async i =>
        {
            await using var command = dataSource.CreateCommand("UPDATE bench_heartbeat SET seen = now() WHERE id = $1");
            command.Parameters.AddWithValue(i % 1024);
            await command.ExecuteNonQueryAsync();
        });

        Console.WriteLine();
        Console.WriteLine($"| operation (concurrency {concurrency}, {duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine(spawn.Row);
        Console.WriteLine(handoff.Row);
        Console.WriteLine(upsert.Row);
        Console.WriteLine(rowPerBeat.Row);
        Console.WriteLine($"\nspawn / upsert = {spawn.PerSecond / upsert.PerSecond:0.00}, handoff / upsert = {handoff.PerSecond / upsert.PerSecond:0.00}");
        Figures.Set("pg_spawns_per_s", spawn.PerSecond);
        Figures.Set("pg_handoffs_per_s", handoff.PerSecond);
        Figures.Set("pg_upserts_per_s", upsert.PerSecond);
        Figures.Set("pg_spawn_vs_upsert", spawn.PerSecond / upsert.PerSecond);
        Figures.Set("pg_handoff_vs_upsert", handoff.PerSecond / upsert.PerSecond);
        Figures.Set("pg_row_update_heartbeats_per_s", rowPerBeat.PerSecond);

        // Group commit, summed over the silos: how many transactions carried the session writes.
        var committers = silos.Select(s => s.Services.GetRequiredService<SessionMesh.Storage.GroupCommitter>()).ToList();
        var (writes, commits) = (committers.Sum(c => c.HandedIn), committers.Sum(c => c.Commits));
        Console.WriteLine($"session writes: {writes:N0} in {commits:N0} transactions ({(double)writes / commits:0.00} per transaction), shared transactions rolled back: {committers.Sum(c => c.RolledBack):N0}");
        Figures.Set("pg_session_transactions", commits);
        Figures.Set("pg_session_writes_per_transaction", (double)writes / commits);

        await clientHost.StopAsync();
        foreach (var silo in silos)
        {
            await silo.StopAsync();
            silo.Dispose();
        }
    }

    /// <summary>Ports the system hands out for loopback binds, all held until all are picked so none repeats.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
