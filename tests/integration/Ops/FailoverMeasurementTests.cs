using System.Globalization;
using System.Net;
using System.Text.Json;
using SessionMesh.Tests.Cluster;
using SessionMesh.Tests.Http;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Ops;

/// <summary>
/// Lease detection across a silo death, measured on real silo processes and a real PostgreSQL: how
/// long after its deadline a lease that runs out is found when a silo died just after the last
/// heartbeat. The figure goes to the test output (README "Failover bounds"); the assertion is that
/// every lease is still enforced, whichever silo tracked it.
/// </summary>
[Trait("Category", "Postgres")]
[Collection(PostgresCollection.Name)]
public sealed class FailoverMeasurementTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const string Api = "/api/session-mesh";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_lease_still_runs_out_after_a_silo_dies_and_the_delay_is_recorded(bool distributedDirectory)
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = $"leases-{Guid.NewGuid():N}";
        var silos = new List<(SiloRun Run, HttpClient Http)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silos.Add(await StartSiloAsync(database, cluster, distributedDirectory));
            }

            // 48 sessions spread over the 16 shards (a stable hash of the id), each with a 5 s lease from spawn.
            const int ttlSeconds = 5;
            var ids = new List<string>();
            for (var i = 0; i < 48; i++)
            {
                using var response = await silos[0].Http.PostAsync(new Uri($"{Api}/sessions", UriKind.Relative), HttpSilo.Json($$"""{"agent_name": "Leased", "lease_ttl": {{ttlSeconds}}}"""));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                ids.Add((await HttpSilo.ReadAsync(response)).GetProperty("id").GetString()!);
            }

            // SIGKILL, as in a crash.
            var linesBefore = silos.Take(2).Select(x => x.Run.Lines.Count).ToList();
            await silos[2].Run.KillAsync();

            // Wait (bounded) for every lease to run out; the grains' own timestamps give the delay.
            var late = new List<double>();
            foreach (var id in ids)
            {
                var session = await WaitFailedAsync(silos[0].Http, id);
                Assert.Equal("heartbeat timeout", session.GetProperty("error").GetString());
                var created = DateTimeOffset.Parse(session.GetProperty("created_at").GetString()!, CultureInfo.InvariantCulture);
                var ended = DateTimeOffset.Parse(session.GetProperty("ended_at").GetString()!, CultureInfo.InvariantCulture);
                late.Add((ended - created).TotalSeconds - ttlSeconds);
            }

            late.Sort();
            // Shards (re)activated on the survivors after the death: they log the leases they restore.
            var moved = silos.Take(2).SelectMany((x, i) => x.Run.Lines.Skip(linesBefore[i]))
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"Liveness shard (\d+) restored"))
                .Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();
            output.WriteLine(FormattableString.Invariant(
                $"LEASE DETECTION (distributed directory: {distributedDirectory}) after SIGKILL of 1 of 3 silos, TTL {ttlSeconds} s, {late.Count} leases, {moved} of 16 shards reactivated: found after the deadline by median {late[late.Count / 2]:F2} s, p90 {late[(int)(late.Count * 0.9)]:F2} s, max {late[^1]:F2} s"));
        }
        finally
        {
            foreach (var (run, http) in silos)
            {
                http.Dispose();
                await run.DisposeAsync();
            }
        }
    }

    private static async Task<(SiloRun Run, HttpClient Http)> StartSiloAsync(string database, string cluster, bool distributedDirectory)
    {
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var run = SiloRun.Start(
            [
                $"--SessionMesh:HttpUrl={url}",
                $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
                $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
                $"--SessionMesh:ClusterId={cluster}",
                $"--SessionMesh:ServiceId={cluster}",
                $"--SessionMesh:AdminKey={HttpSilo.AdminKey}",
                $"--SessionMesh:DistributedGrainDirectory={distributedDirectory}",
            ],
            new Dictionary<string, string?> { ["SESSION_MESH_POSTGRES"] = database });
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
        var until = DateTime.UtcNow.AddSeconds(240);
        try
        {
            while (true)
            {
                try
                {
                    using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    if (ready.IsSuccessStatusCode)
                    {
                        return (run, http);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }

                Assert.False(run.HasExited, $"silo exited:\n{string.Join('\n', run.Lines)}");
                Assert.True(DateTime.UtcNow < until, $"silo not ready:\n{string.Join('\n', run.Lines)}");
                await Task.Delay(250);
            }
        }
        catch
        {
            // Never leave a silo process behind a failed start.
            http.Dispose();
            await run.DisposeAsync();
            throw;
        }
    }

    private static async Task<JsonElement> WaitFailedAsync(HttpClient http, string id)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"{Api}/sessions/{id}", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    var session = await HttpSilo.ReadAsync(response);
                    if (session.GetProperty("status").GetString() == "Failed")
                    {
                        return session;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < until, $"session {id} never expired");
            await Task.Delay(500);
        }
    }
}
