using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SessionMesh.Grains.Sessions;
using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Bench;

/// <summary>
/// Throughput of spawn, handoff, a listing page and stats with 1k, 10k, 100k and 1M sessions
/// already stored (embedded SQLite). The stored sessions are written straight into the catalog —
/// real rows with real serialized state, as the session grains write them — because a million
/// API calls would take longer than the whole benchmark may.
/// </summary>
internal static class ScaleBench
{
    private const int Concurrency = 64;

    /// <summary>Listing walkers page through the newest 500 completed sessions, so every point touches as many sessions and only the catalog's size differs.</summary>
    private const int ListPages = 5;

    public static async Task RunAsync(BenchOptions options)
    {
        var points = options.PointsOr([1_000, 10_000, 100_000, 1_000_000]);
        Console.WriteLine($"# SessionMesh scale bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, embedded SQLite, concurrency {Concurrency}, {options.Duration.TotalSeconds:0} s per figure");
        Console.WriteLine();
        Console.WriteLine("| stored sessions | seeded in s | spawn/s | handoff/s | list page/s | stats/s | list p99 ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");

        // A first point at the smallest size, not recorded: the process compiles and warms up
        // there, so the recorded points differ only in what is stored.
        await MeasureAsync(points.Min(), options.SiloPort + points.Length, options.GatewayPort + points.Length, TimeSpan.FromSeconds(2));
        var results = new Dictionary<int, (double Spawn, double Handoff, double List, double Stats)>();
        for (var p = 0; p < points.Length; p++)
        {
            var stored = points[p];
            var (seeded, spawn, handoff, list, stats) = await MeasureAsync(stored, options.SiloPort + p, options.GatewayPort + p, options.Duration);
            results[stored] = (spawn.PerSecond, handoff.PerSecond, list.PerSecond, stats.PerSecond);
            var at = Figures.Scale(stored);
            Figures.Set($"scale_{at}_spawn_per_s", spawn.PerSecond);
            Figures.Set($"scale_{at}_handoff_per_s", handoff.PerSecond);
            Figures.Set($"scale_{at}_list_per_s", list.PerSecond);
            Figures.Set($"scale_{at}_stats_per_s", stats.PerSecond);
            Figures.Set($"scale_{at}_list_p99_ms", list.P99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {stored:N0} | {seeded.TotalSeconds:0.0} | {spawn.PerSecond:0} | {handoff.PerSecond:0} | {list.PerSecond:0} | {stats.PerSecond:0} | {list.P99:0.0} |"));
        }

        if (results.Count > 1)
        {
            var (small, large) = (results.Keys.Min(), results.Keys.Max());
            var name = $"scale_{Figures.Scale(large)}_vs_{Figures.Scale(small)}";
            Figures.Set($"{name}_spawn", results[large].Spawn / results[small].Spawn);
            Figures.Set($"{name}_handoff", results[large].Handoff / results[small].Handoff);
            Figures.Set($"{name}_list", results[large].List / results[small].List);
            Figures.Set($"{name}_stats", results[large].Stats / results[small].Stats);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"\n{Figures.Scale(large)} ÷ {Figures.Scale(small)}: spawn {results[large].Spawn / results[small].Spawn:0.00}, handoff {results[large].Handoff / results[small].Handoff:0.00}, list {results[large].List / results[small].List:0.00}, stats {results[large].Stats / results[small].Stats:0.00}"));
        }
    }

    /// <summary>A fresh silo with <paramref name="stored"/> sessions seeded; each operation warmed up for a second, then timed.</summary>
    private static async Task<(TimeSpan Seeded, Result Spawn, Result Handoff, Result List, Result Stats)> MeasureAsync(int stored, int siloPort, int gatewayPort, TimeSpan duration)
    {
        await using var mesh = await EmbeddedMesh.StartAsync(siloPort, gatewayPort);
        var seeding = System.Diagnostics.Stopwatch.StartNew();
        await SeedAsync(mesh, stored);
        var seeded = seeding.Elapsed;

        var sessions = mesh.Sessions;
        var warmUp = TimeSpan.FromSeconds(1);
        await Load.RunAsync("warm-up", Concurrency, warmUp, _ => sessions.SpawnAgentSessionAsync("Warm", "up", new SessionContext()));
        await Load.RunAsync("warm-up", Concurrency, warmUp, async _ => await sessions.HandoffAsync(await sessions.SpawnAgentSessionAsync("Warm", "up", new SessionContext()), "ReviewAgent", new SessionContext()));
        await Load.RunAsync("warm-up", Concurrency, warmUp, _ => sessions.ListSessionsAsync(SessionStatus.Completed, 100));
        await Load.RunAsync("warm-up", Concurrency, warmUp, _ => sessions.GetStatsAsync());
        var spawn = await Load.RunAsync("spawn", Concurrency, duration, _ => sessions.SpawnAgentSessionAsync("CodeGenAgent", "scale", new SessionContext()));

        var handoff = await Load.HandoffsAsync(sessions, "handoff", Concurrency, duration, spawn.PerSecond * duration.TotalSeconds);

        var cursors = new (string? Cursor, int Page)[Concurrency];
        var list = await Load.RunAsync("list page", Concurrency, duration, async i =>
        {
            var walker = i % Concurrency;
            var (cursor, page) = cursors[walker];
            var result = await sessions.ListSessionsAsync(SessionStatus.Completed, 100, cursor);
            cursors[walker] = page + 1 < ListPages && result.NextCursor is { } more ? (more, page + 1) : (null, 0);
        });
        var stats = await Load.RunAsync("stats", Concurrency, duration, _ => sessions.GetStatsAsync());

        return (seeded, spawn, handoff, list, stats);
    }

    /// <summary>
    /// Writes <paramref name="count"/> sessions into the catalog as the session grains would (state
    /// serialized by the silo's own serializer; one in <paramref name="activeEvery"/> active, the
    /// rest completed; all older than any session the bench makes afterwards), in transactions of
    /// 100,000 rows; the counters follow through the catalog's triggers. With
    /// <paramref name="leases"/>, each active session also gets the row its first heartbeat would
    /// have written (a one-hour lease), which its liveness shard loads when it activates.
    /// </summary>
    public static async Task SeedAsync(EmbeddedMesh mesh, int count, int activeEvery = 10, bool leases = false)
    {
        var serializer = mesh.Silo.Services.GetRequiredService<Serializer>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = mesh.DatabasePath, Pooling = false, DefaultTimeout = 60 }.ToString());
        await connection.OpenAsync();
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout = 60000;";
            await pragma.ExecuteNonQueryAsync();
        }

        var oldest = DateTimeOffset.UtcNow.AddDays(-30);
        for (var start = 0; start < count; start += 100_000)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO SessionCatalog (SessionId, Status, CreatedTicks, AgentName, AgentId, ParentSessionId, Payload, Version, ResumeTicks)
                VALUES (@id, @status, @created, 'SeededAgent', NULL, NULL, @payload, 1, NULL);
                """;
            var id = insert.Parameters.Add("@id", SqliteType.Text);
            var status = insert.Parameters.Add("@status", SqliteType.Integer);
            var created = insert.Parameters.Add("@created", SqliteType.Integer);
            var payload = insert.Parameters.Add("@payload", SqliteType.Blob);
            await using var lease = connection.CreateCommand();
            lease.Transaction = transaction;
            lease.CommandText = "INSERT INTO Leases (Kind, Id, Shard, Epoch, TtlMs) VALUES (@kind, @id, @shard, 0, 3600000);";
            var leaseKind = lease.Parameters.Add("@kind", SqliteType.Integer);
            var leaseId = lease.Parameters.Add("@id", SqliteType.Text);
            var leaseShard = lease.Parameters.Add("@shard", SqliteType.Integer);
            for (var i = start; i < Math.Min(count, start + 100_000); i++)
            {
                var session = Guid.NewGuid();
                var at = oldest.AddMilliseconds(i);
                var state = i % activeEvery == 0 ? SessionStatus.Active : SessionStatus.Completed;
                id.Value = session.ToString("N", CultureInfo.InvariantCulture);
                status.Value = (int)state;
                created.Value = at.UtcTicks;
                payload.Value = serializer.SerializeToArray(new SessionState
                {
                    Session = new SessionSnapshot
                    {
                        Id = session,
                        AgentName = "SeededAgent",
                        Purpose = "seeded",
                        Context = new SessionContext { IssueNumber = (ulong)i, CurrentPhase = Phase.CodeGeneration, WorktreePath = $"/work/tree-{i}" },
                        Status = state,
                        CreatedAt = at,
                        UpdatedAt = at,
                        EndedAt = state == SessionStatus.Active ? null : at,
                    },
                });
                await insert.ExecuteNonQueryAsync();
                if (leases && state == SessionStatus.Active)
                {
                    var key = LeaseKey.ForSession(session);
                    (leaseKind.Value, leaseId.Value, leaseShard.Value) = ((int)key.Kind, key.Id, key.Shard);
                    await lease.ExecuteNonQueryAsync();
                }
            }

            await transaction.CommitAsync();
        }
    }
}
