using System.Diagnostics;
using System.Globalization;
using SessionMesh.Client;
using SessionMesh.Discovery;

namespace SessionMesh.Bench;

/// <summary>
/// Alive discovery with 100k and 1M tracked sessions (embedded SQLite). Each point is a fresh silo
/// over a catalog seeded directly — every session active, each with the lease row its first
/// heartbeat would have written — because tracking a million sessions through the API would take
/// longer than the whole benchmark may. The liveness shards load those leases when they activate
/// (a second silo over the seeded database, as after a restart). The first pass over the pages
/// reads rows the database has not cached yet (cold); the second reads the same pages again (warm).
/// </summary>
internal static class DiscoveryScaleBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var points = options.PointsOr([100_000, 1_000_000]);
        Console.WriteLine($"# SessionMesh discovery at scale — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, embedded SQLite, {options.DiscoverySamples} consecutive pages of 100 per pass");
        Console.WriteLine();
        Console.WriteLine("| tracked sessions | seeded in s | first page s | cold p50 ms | cold p99 ms | warm p50 ms | warm p99 ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        for (var p = 0; p < points.Length; p++)
        {
            var tracked = points[p];
            // Seeded through a first silo (which creates the schema), measured on a second one over
            // the same database: the shards of the first were already active (every silo pings
            // them at start) and never look at the lease table again.
            var watch = Stopwatch.StartNew();
            string dataDirectory;
            await using (var seeder = await EmbeddedMesh.StartAsync(options.SiloPort + p, options.GatewayPort + p))
            {
                await ScaleBench.SeedAsync(seeder, tracked, activeEvery: 1, leases: true);
                dataDirectory = seeder.DataDirectory;
                seeder.KeepData = true;
            }

            var seeded = watch.Elapsed;
            await using var mesh = await EmbeddedMesh.StartAsync(options.SiloPort + 10 + p, options.GatewayPort + 10 + p, dataDirectory);

            // The shards loaded their leases when the silo started (it pings all 16 then); the first
            // page, unrecorded, reads the first 100 sessions, so the timed passes start cold at the second.
            watch.Restart();
            var second = (await mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Limit = 100 })).NextCursor;
            var first = watch.Elapsed;

            var cold = await AlivePagesAsync(mesh.Agents, options.DiscoverySamples, second);
            var warm = await AlivePagesAsync(mesh.Agents, options.DiscoverySamples, second);
            var at = Figures.Scale(tracked);
            Figures.Set($"alive_seeded_cold_p50_ms_{at}", Load.Percentile(cold, 0.50));
            Figures.Set($"alive_seeded_cold_p99_ms_{at}", Load.Percentile(cold, 0.99));
            Figures.Set($"alive_seeded_p50_ms_{at}", Load.Percentile(warm, 0.50));
            Figures.Set($"alive_seeded_p99_ms_{at}", Load.Percentile(warm, 0.99));
            Figures.Set($"alive_seeded_first_page_s_{at}", first.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {tracked:N0} | {seeded.TotalSeconds:0.0} | {first.TotalSeconds:0.0} | {Load.Percentile(cold, 0.50):0.00} | {Load.Percentile(cold, 0.99):0.00} | {Load.Percentile(warm, 0.50):0.00} | {Load.Percentile(warm, 0.99):0.00} |"));
        }
    }

    /// <summary>
    /// Consecutive pages of alive sessions, 100 each, from <paramref name="cursor"/> (the first page
    /// when null): their latencies, sorted.
    /// </summary>
    public static async Task<List<double>> AlivePagesAsync(AgentMesh agents, int pages, string? cursor = null)
    {
        var latencies = new List<double>();
        for (var i = 0; i < pages; i++)
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
        return latencies;
    }
}
