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
/// API calls would take longer than the whole benchmark may. Every point's silo runs at once and
/// the points are timed in turn, round after round, so the ratios between points compare the same
/// spells of the machine.
/// </summary>
internal static class ScaleBench
{
    private const int Concurrency = 64;

    /// <summary>Listing walkers page through the newest 500 completed sessions, so every point touches as many sessions and only the catalog's size differs.</summary>
    private const int ListPages = 5;

    /// <summary>Each operation is timed in this many rounds per point; a point's figure is its median round.</summary>
    private const int Rounds = 5;

    public static async Task RunAsync(BenchOptions options)
    {
        var points = options.PointsOr([1_000, 10_000, 100_000, 1_000_000]);
        Console.WriteLine($"# SessionMesh scale bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, embedded SQLite, concurrency {Concurrency}, {options.Duration.TotalSeconds:0} s per figure in {Rounds} rounds that visit every point in turn");
        Console.WriteLine();
        Console.WriteLine("| stored sessions | seeded in s | spawn/s | handoff/s | list page/s | stats/s | list p99 ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");

        // A first point at the smallest size, not recorded: the process compiles and warms up
        // there, so the recorded points differ only in what is stored.
        await using (var warm = await StartPointAsync(points.Min(), options.SiloPort + points.Length, options.GatewayPort + points.Length, TimeSpan.FromSeconds(2)))
        {
            await warm.MeasureAsync(Operation.Spawn, TimeSpan.FromSeconds(2));
        }

        // Every point's silo runs at once and each operation is timed in rounds that visit the
        // points in turn (forwards, then backwards): a slow spell of this shared machine falls on
        // every point alike instead of on whichever point it happened to be measuring then.
        var running = new List<Point>();
        try
        {
            for (var p = 0; p < points.Length; p++)
            {
                running.Add(await StartPointAsync(points[p], options.SiloPort + p, options.GatewayPort + p, TimeSpan.FromSeconds(1)));
            }

            var round = options.Duration / Rounds;
            foreach (var operation in Enum.GetValues<Operation>())
            {
                for (var r = 0; r < Rounds; r++)
                {
                    foreach (var point in r % 2 == 0 ? running : Enumerable.Reverse(running))
                    {
                        await point.MeasureAsync(operation, round);
                    }
                }
            }

            foreach (var point in running)
            {
                var (spawn, handoff, list, stats) = (point.Median(Operation.Spawn), point.Median(Operation.Handoff), point.Median(Operation.List), point.Median(Operation.Stats));
                var at = Figures.Scale(point.Stored);
                Figures.Set($"scale_{at}_spawn_per_s", spawn.PerSecond);
                Figures.Set($"scale_{at}_handoff_per_s", handoff.PerSecond);
                Figures.Set($"scale_{at}_list_per_s", list.PerSecond);
                Figures.Set($"scale_{at}_stats_per_s", stats.PerSecond);
                Figures.Set($"scale_{at}_list_p99_ms", list.P99);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {point.Stored:N0} | {point.Seeded.TotalSeconds:0.0} | {spawn.PerSecond:0} | {handoff.PerSecond:0} | {list.PerSecond:0} | {stats.PerSecond:0} | {list.P99:0.0} |"));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rounds at {point.Stored:N0}: {string.Join("; ", Enum.GetValues<Operation>().Select(o => $"{o} {string.Join(" / ", point.Rounds(o).Select(r => r.PerSecond.ToString("0", CultureInfo.InvariantCulture)))}"))}"));
            }

            if (running.Count > 1)
            {
                var (small, large) = (running.MinBy(p => p.Stored)!, running.MaxBy(p => p.Stored)!);
                var name = $"scale_{Figures.Scale(large.Stored)}_vs_{Figures.Scale(small.Stored)}";
                var ratios = Enum.GetValues<Operation>().ToDictionary(o => o, o => large.Median(o).PerSecond / small.Median(o).PerSecond);
                Figures.Set($"{name}_spawn", ratios[Operation.Spawn]);
                Figures.Set($"{name}_handoff", ratios[Operation.Handoff]);
                Figures.Set($"{name}_list", ratios[Operation.List]);
                Figures.Set($"{name}_stats", ratios[Operation.Stats]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"\n{Figures.Scale(large.Stored)} ÷ {Figures.Scale(small.Stored)}: spawn {ratios[Operation.Spawn]:0.00}, handoff {ratios[Operation.Handoff]:0.00}, list {ratios[Operation.List]:0.00}, stats {ratios[Operation.Stats]:0.00}"));
            }
        }
        finally
        {
            foreach (var point in running)
            {
                await point.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh silo with <paramref name="stored"/> sessions seeded, each operation warmed up for <paramref name="warmUp"/>.</summary>
    private static async Task<Point> StartPointAsync(int stored, int siloPort, int gatewayPort, TimeSpan warmUp)
    {
        var mesh = await EmbeddedMesh.StartAsync(siloPort, gatewayPort);
        var seeding = System.Diagnostics.Stopwatch.StartNew();
        await SeedAsync(mesh, stored);
        var point = new Point(stored, mesh, seeding.Elapsed);
        foreach (var operation in Enum.GetValues<Operation>())
        {
            await point.MeasureAsync(operation, warmUp, record: false);
        }

        return point;
    }

    // In the order they are timed: the reads first, before the writes fill the heap with new grains.
    private enum Operation
    {
        List,
        Stats,
        Spawn,
        Handoff,
    }

    /// <summary>One point of the curve: its silo, and what each of its rounds measured.</summary>
    private sealed class Point(int stored, EmbeddedMesh mesh, TimeSpan seeded) : IAsyncDisposable
    {
        private readonly Dictionary<Operation, List<Result>> _rounds = [];
        private readonly (string? Cursor, int Page)[] _cursors = new (string?, int)[Concurrency];

        public int Stored => stored;

        public TimeSpan Seeded => seeded;

        public List<Result> Rounds(Operation operation) => _rounds.TryGetValue(operation, out var rounds) ? rounds : [];

        /// <summary>The round with the median rate (its p99 with it).</summary>
        public Result Median(Operation operation)
        {
            var sorted = Rounds(operation).OrderBy(r => r.PerSecond).ToList();
            return sorted[sorted.Count / 2];
        }

        public async Task MeasureAsync(Operation operation, TimeSpan duration, bool record = true)
        {
            var sessions = mesh.Sessions;
            var result = operation switch
            {
                Operation.Spawn => await Load.RunAsync("spawn", Concurrency, duration, _ => sessions.SpawnAgentSessionAsync("CodeGenAgent", "scale", new SessionContext())),

                // As many parents as this point's spawns suggest it hands off in the time (spawned before the clock starts).
                Operation.Handoff => await Load.HandoffsAsync(sessions, "handoff", Concurrency, duration, (Rounds(Operation.Spawn) is [.., var last] ? last.PerSecond : 1_000) * duration.TotalSeconds),
                Operation.List => await Load.RunAsync("list page", Concurrency, duration, async i =>
                {
                    var walker = i % Concurrency;
                    var (cursor, page) = _cursors[walker];
                    var listed = await sessions.ListSessionsAsync(SessionStatus.Completed, 100, cursor);
                    _cursors[walker] = page + 1 < ListPages && listed.NextCursor is { } more ? (more, page + 1) : (null, 0);
                }),
                _ => await Load.RunAsync("stats", Concurrency, duration, _ => sessions.GetStatsAsync()),
            };
            if (record)
            {
                (_rounds.TryGetValue(operation, out var rounds) ? rounds : _rounds[operation] = []).Add(result);
            }
        }

        public ValueTask DisposeAsync() => mesh.DisposeAsync();
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
