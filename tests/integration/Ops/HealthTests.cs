using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using SessionMesh.Tests.Cluster;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Ops;

/// <summary>Readiness that tells the truth while the database hangs, and a start that waits for the database.</summary>
[Trait("Category", "Postgres")]
[Collection(PostgresCollection.Name)]
public sealed class HealthTests(PostgresServer postgres)
{
    [Fact]
    public async Task Readiness_answers_503_within_its_timeout_while_postgres_is_frozen_and_200_once_it_thaws()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var silo = await SiloProcess.StartAsync(database, $"frozen-{Guid.NewGuid():N}");
        using (Freeze(database))
        {
            // Npgsql would wait 30 s for a frozen server; the readiness timeout is 5 s. A client
            // that gives up at 20 s fails this test if readiness waited on the driver.
            using var probe = new HttpClient { BaseAddress = new Uri(silo.Url), Timeout = TimeSpan.FromSeconds(20) };
            using var response = await GetOrReportAsync(probe, silo, "/health/ready");
            await HttpSilo.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        }

        await silo.WaitReadyAsync();
    }

    [Fact]
    public async Task While_postgres_is_frozen_the_silo_keeps_answering_with_many_idle_pooled_connections()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var silo = await SiloProcess.StartAsync(database, $"frozen-pool-{Guid.NewGuid():N}");

        // Concurrent activations (each reads its state) leave the connection pool with many idle
        // connections. Npgsql's own keepalive pings each idle connection synchronously on a pool
        // thread; on a frozen server every ping blocked one thread for the command timeout and the
        // silo starved: timers ran seconds late and requests went unanswered.
        var reads = await Task.WhenAll(Enumerable.Range(0, 48).Select(_ => silo.Http.GetAsync(new Uri($"/api/session-mesh/sessions/{Guid.NewGuid()}", UriKind.Relative))));
        Assert.All(reads, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Array.ForEach(reads, r => r.Dispose());

        using (Freeze(database))
        {
            using var probe = new HttpClient { BaseAddress = new Uri(silo.Url), Timeout = TimeSpan.FromSeconds(5) };
            var until = DateTime.UtcNow.AddSeconds(12);
            while (DateTime.UtcNow < until)
            {
                using var live = await GetOrReportAsync(probe, silo, "/health/live");
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
                await Task.Delay(250);
            }
        }

        await silo.WaitReadyAsync();
    }

    [Fact]
    public async Task A_silo_whose_database_is_unreachable_at_start_keeps_retrying_and_says_why()
    {
        var closedPort = HttpSiloPorts.Free();
        await using var silo = SiloRun.Start(SiloRun.Ports(), new Dictionary<string, string?>
        {
            ["SESSION_MESH_POSTGRES"] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=sessionmesh;Timeout=2",
        });

        var second = await silo.WaitForLineAsync(l => l.Contains("database not reachable at start (attempt 2)", StringComparison.Ordinal));
        Assert.Contains("Retrying in", silo.Lines[second], StringComparison.Ordinal);
        Assert.False(silo.HasExited);
    }

    /// <summary>A GET that, when the client gives up waiting, fails with what the silo said meanwhile.</summary>
    private static async Task<HttpResponseMessage> GetOrReportAsync(HttpClient probe, SiloProcess silo, string path)
    {
        try
        {
            return await probe.GetAsync(new Uri(path, UriKind.Relative));
        }
        catch (TaskCanceledException timedOut)
        {
            throw new TimeoutException($"{path} did not answer within {probe.Timeout.TotalSeconds:0} s while PostgreSQL was frozen; the silo's last output:{Environment.NewLine}{silo.RecentLog}", timedOut);
        }
    }

    /// <summary>Freezes (SIGSTOP) the database's server — postmaster and backends — until disposed, then thaws it (SIGCONT).</summary>
    private static Thaw Freeze(string database)
    {
        var frozen = PostgresProcesses(new NpgsqlConnectionStringBuilder(database).Port);
        Assert.NotEmpty(frozen);
        Signal("STOP", frozen);
        return new Thaw(frozen);
    }

    private sealed class Thaw(List<int> frozen) : IDisposable
    {
        public void Dispose() => Signal("CONT", frozen);
    }

    /// <summary>The postmaster listening on the port and every backend it forked (all started by this test run's fixture).</summary>
    private static List<int> PostgresProcesses(int port)
    {
        var parents = new Dictionary<int, int>();
        int? postmaster = null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (cmdline.Length > 2 && cmdline[0].EndsWith("/postgres", StringComparison.Ordinal)
                    && cmdline.Zip(cmdline.Skip(1)).Any(p => p.First == "-p" && p.Second == port.ToString(CultureInfo.InvariantCulture)))
                {
                    postmaster = pid;
                }

                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return postmaster is { } root ? [root, .. parents.Where(p => p.Value == root).Select(p => p.Key)] : [];
    }

    private static void Signal(string signal, IEnumerable<int> pids)
    {
        var start = new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}" } };
        foreach (var pid in pids)
        {
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        using var kill = Process.Start(start)!;
        kill.WaitForExit();
    }
}
