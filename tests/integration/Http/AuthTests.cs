using System.Net;
using System.Text;

namespace SessionMesh.Tests.Http;

[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class AuthTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    public static TheoryData<string?> BadKeys => new()
    {
        null,
        "",
        "Basic abc",
        "Bearer",
        "Bearer not-a-key",
        "Bearer smk_0123456789abcdef_thisKeyWasNeverIssuedByTheMeshAtAll00000",
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Missing_malformed_or_unknown_keys_are_401_with_a_bearer_challenge(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session-mesh/alive");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await Silo.Http.SendAsync(request);
        await HttpSilo.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_from_then_on()
    {
        using var created = await Silo.Admin.PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"ttl": 600}"""));
        var body = await HttpSilo.ReadAsync(created);
        var client = Silo.Client(body.GetProperty("session_key").GetString()!);
        using (var ok = await client.GetAsync("/api/session-mesh/stats"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var revoke = await Silo.Admin.DeleteAsync($"/api/session-mesh/keys/{body.GetProperty("key_id").GetString()}"))
        {
            Assert.True((await HttpSilo.ReadAsync(revoke)).GetProperty("revoked").GetBoolean());
        }

        using var refused = await client.GetAsync("/api/session-mesh/stats");
        await HttpSilo.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
        using var unknown = await Silo.Admin.DeleteAsync("/api/session-mesh/keys/0000000000000000");
        await HttpSilo.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_expired_key_is_refused()
    {
        var client = Silo.Client(await Silo.CreateKeyAsync("""{"ttl": 1}"""));
        await Task.Delay(1500);
        using var response = await client.GetAsync("/api/session-mesh/stats");
        await HttpSilo.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Scopes_decide_what_a_valid_key_may_do()
    {
        var operatorClient = Silo.Client(await Silo.CreateKeyAsync());
        using (var keys = await operatorClient.PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"ttl": 60}""")))
        {
            await HttpSilo.AssertProblemAsync(keys, HttpStatusCode.Forbidden);
        }

        var agentId = $"agent-{Guid.NewGuid():N}";
        using (var register = await operatorClient.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "scoped", "agent_id": "{{agentId}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        var agentClient = Silo.Client(await Silo.CreateKeyAsync($$"""{"ttl": 600, "scopes": ["agent"], "agent_id": "{{agentId}}"}"""));
        using (var beat = await agentClient.PostAsync($"/api/session-mesh/agents/{agentId}/heartbeat", HttpSilo.Json("""{"epoch": 1}""")))
        {
            Assert.Equal(HttpStatusCode.OK, beat.StatusCode);
        }

        using (var own = await agentClient.GetAsync($"/api/session-mesh/agents/{agentId}"))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        using (var other = await agentClient.GetAsync("/api/session-mesh/agents/123"))
        {
            await HttpSilo.AssertProblemAsync(other, HttpStatusCode.Forbidden);
        }

        using (var steer = await agentClient.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agentId}}", "direction": "up"}""")))
        {
            await HttpSilo.AssertProblemAsync(steer, HttpStatusCode.Forbidden);
        }

        using var unbound = await Silo.Admin.PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"ttl": 60, "scopes": ["agent"]}"""));
        var problem = await HttpSilo.AssertProblemAsync(unbound, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("agent_id", out _));
    }

    [Fact]
    public async Task Keys_are_listed_without_secrets_and_stored_only_as_hashes()
    {
        var token = await Silo.CreateKeyAsync();
        // smk_{key id}_{secret}: the secret is base64url and may itself contain '_'.
        var secret = token.Split('_', 3)[2];
        using var list = await Silo.Admin.GetAsync("/api/session-mesh/keys");
        var text = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(token.Split('_')[1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);

        // Nothing on disk holds the secret: not the database, its WAL, or any other file.
        foreach (var file in Directory.EnumerateFiles(Silo.DataDirectory))
        {
            byte[] bytes;
            await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var memory = new MemoryStream())
            {
                await stream.CopyToAsync(memory);
                bytes = memory.ToArray();
            }

            Assert.DoesNotContain(secret, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, Encoding.Unicode.GetString(bytes), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Health_endpoints_need_no_key_and_everything_else_does()
    {
        using (var live = await Silo.Http.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var ready = await Silo.Http.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using (var openApi = await Silo.Http.GetAsync("/openapi/v1.json"))
        {
            var document = await HttpSilo.ReadAsync(openApi);
            Assert.True(document.GetProperty("paths").TryGetProperty("/api/session-mesh/steer", out var steer));
            Assert.True(steer.GetProperty("post").TryGetProperty("requestBody", out _));
        }

        using (var reference = await Silo.Http.GetAsync("/api-reference"))
        {
            Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
            Assert.Contains("html", reference.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        }

        using (var dashboard = await Silo.Http.GetAsync("/dashboard/"))
        {
            await HttpSilo.AssertProblemAsync(dashboard, HttpStatusCode.Unauthorized);
        }

        using (var operatorDashboard = await Silo.Client(await Silo.CreateKeyAsync()).GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, operatorDashboard.StatusCode);
        }

        using var adminDashboard = await Silo.Admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, adminDashboard.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_admin_key_one_is_generated_into_an_owner_only_file()
    {
        await using var silo = await HttpSilo.StartAsync(configureAdminKey: false);
        var path = Path.Combine(silo.DataDirectory, "admin.key");
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var generated = (await File.ReadAllTextAsync(path)).Trim();
        using var response = await silo.Client(generated).PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"ttl": 60}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var configured = await silo.Admin.GetAsync("/api/session-mesh/stats");
        Assert.Equal(HttpStatusCode.Unauthorized, configured.StatusCode);
    }
}
