using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SessionMesh.Bench;

/// <summary>
/// The older tool's storage design, measured on this machine: all sessions live in one map and
/// every change (here: a spawn) rewrites the whole map as one JSON file (write to a temporary
/// file, then rename; no fsync, which flatters it). Its cost per change grows with the number of
/// sessions; SessionMesh's spawn writes one row whatever the number stored (see the scale bench).
/// </summary>
internal static class JsonFileDesignBench
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static async Task RunAsync(BenchOptions options)
    {
        var points = options.PointsOr([1_000, 10_000, 100_000]);
        var directory = Directory.CreateTempSubdirectory("sessionmesh-jsonfile-").FullName;
        var file = Path.Combine(directory, "sessions.json");
        Console.WriteLine($"# The older tool's design: one JSON file of all sessions, rewritten on every change — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| stored sessions | file MB | spawns/s | ms per spawn |");
        Console.WriteLine("|---:|---:|---:|---:|");
        try
        {
            foreach (var stored in points)
            {
                var sessions = new Dictionary<Guid, OldSession>(stored + 10_000);
                for (var i = 0; i < stored; i++)
                {
                    var session = OldSession.New(i);
                    sessions[session.Id] = session;
                }

                var spawns = 0;
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < options.Duration || spawns < 5)
                {
                    var session = OldSession.New(stored + spawns);
                    sessions[session.Id] = session;
                    await using (var stream = File.Create(file + ".tmp"))
                    {
                        await JsonSerializer.SerializeAsync(stream, sessions, Pretty);
                    }

                    File.Move(file + ".tmp", file, overwrite: true);
                    spawns++;
                }

                var perSecond = spawns / watch.Elapsed.TotalSeconds;
                var at = Figures.Scale(stored);
                Figures.Set($"json_file_spawns_per_s_{at}", perSecond);
                Figures.Set($"json_file_ms_per_spawn_{at}", 1000 / perSecond);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {stored:N0} | {new FileInfo(file).Length / 1e6:0.0} | {perSecond:0.0} | {1000 / perSecond:0.0} |"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>A session as the older tool stored it: name, context, status, lineage, times.</summary>
    private sealed record OldSession(Guid Id, string AgentName, string Purpose, OldContext Context, string Status, Guid? ParentSession, List<Guid> ChildSessions, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public static OldSession New(int i) => new(
            Guid.NewGuid(), "CodeGenAgent", "implement the issue",
            new OldContext((ulong)i, "CodeGeneration", $"/work/tree-{i}", []),
            "Active", null, [], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
    }

    private sealed record OldContext(ulong IssueNumber, string CurrentPhase, string WorktreePath, List<string> PreviousResults);
}
