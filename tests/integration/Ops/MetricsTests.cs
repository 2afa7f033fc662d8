using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using SessionMesh.Silo.Hosting;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Ops;

/// <summary>The Prometheus endpoint of a real silo, over real HTTP.</summary>
[Trait("Category", "Process")]
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_need_the_admin_key_and_show_the_mesh_instruments_after_a_spawn()
    {
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var app = SiloApp.Create(
        [
            $"--SessionMesh:HttpUrl={url}",
            $"--SessionMesh:DataDirectory={Directory.CreateTempSubdirectory("sessionmesh-metrics-").FullName}",
            $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:AdminKey={HttpSilo.AdminKey}",
            "--SessionMesh:Telemetry:StatsRefresh=00:00:01",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            using var anonymous = new HttpClient { BaseAddress = new Uri(url) };
            using (var refused = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            using var admin = new HttpClient { BaseAddress = new Uri(url) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
            using var spawned = await admin.PostAsync(new Uri("/api/session-mesh/sessions", UriKind.Relative), HttpSilo.Json("""{"agent_name": "MetricsAgent", "lease_ttl": 60}"""));
            Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
            var id = (await HttpSilo.ReadAsync(spawned)).GetProperty("id").GetString();
            using var beat = await admin.PostAsync(new Uri($"/api/session-mesh/sessions/{id}/heartbeat", UriKind.Relative), HttpSilo.Json("""{"ttl": 60}"""));
            Assert.Equal(HttpStatusCode.OK, beat.StatusCode);

            // The gauge is fed from the stored counters on its own refresh, and a request's duration is
            // recorded after its response went out (the client may read it first): wait for all of
            // what is asserted below (bounded).
            string text = string.Empty;
            var until = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < until)
            {
                text = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
                if (Value(text, "sessionmesh_sessions", "status=\"active\"") >= 1 && text.Contains("http_server_request_duration_seconds", StringComparison.Ordinal))
                {
                    break;
                }

                await Task.Delay(250);
            }

            Assert.True(Value(text, "sessionmesh_sessions_spawned_total", null) >= 1, text);
            Assert.True(Value(text, "sessionmesh_heartbeats_total", "kind=\"session\"") >= 1, text);
            Assert.True(Value(text, "sessionmesh_sessions", "status=\"active\"") >= 1, text);
            Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
            Assert.Contains("orleans_", text, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The sum of a metric's samples whose labels contain <paramref name="label"/>, or -1 when absent.</summary>
    private static double Value(string exposition, string metric, string? label)
    {
        var found = false;
        var sum = 0.0;
        foreach (Match m in Sample().Matches(exposition))
        {
            if (m.Groups["name"].Value == metric && (label is null || m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                found = true;
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return found ? sum : -1;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
