using System.Net;
using System.Text;

namespace SessionMesh.Tests.Http;

/// <summary>Garbage in gets a 4xx problem naming what is wrong, and leaves what is stored as it was.</summary>
[Trait("Category", "Http")]
[Collection(QuietHttpSiloCollection.Name)]
public sealed class BadInputTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private HttpSilo Silo => fixture.Silo;

    public static TheoryData<string, string, string?, int, string?> Garbage => new()
    {
        // method, path, JSON body, expected status, the field the problem must name (if any)
        { "POST", "/sessions", """{"agent_name": "A", "purpose": """, 400, null },
        { "POST", "/sessions", """{"agent_name": 42}""", 400, null },
        { "POST", "/sessions", """[1, 2, 3]""", 400, null },
        { "POST", "/sessions", """null""", 400, null },
        { "POST", "/sessions", """{"purpose": "no agent"}""", 400, "agent_name" },
        { "POST", "/sessions", """{"agent_name": "bad\u0007bell"}""", 400, "agent_name" },
        { "POST", "/sessions", """{"agent_name": "A", "context": {"current_phase": "Lunch"}}""", 400, null },
        { "POST", "/sessions", """{"agent_name": "A", "context": {"current_phase": 3}}""", 400, null },
        { "POST", "/sessions", """{"agent_name": "A", "context": {"previous_results": [{"type": "horoscope"}]}}""", 400, null },
        { "POST", "/sessions", """{"agent_name": "A", "lease_ttl": -30}""", 400, "lease_ttl" },
        { "POST", "/sessions", """{"session_id": "not-a-uuid", "agent_name": "A"}""", 400, "session_id" },
        { "POST", "/registry", """{}""", 400, "specialization" },
        { "POST", "/registry", """{"specialization": "x\u0000y", "agent_id": "123"}""", 400, "specialization" },
        { "POST", "/registry", """{"specialization": "ok", "agent_id": "", "lease_ttl": 0}""", 400, "agent_id" },
        { "POST", "/steer", """{"agent_id": "123"}""", 400, "direction" },
        { "POST", "/steer", """{"agent_id": ["123"], "direction": "north"}""", 400, null },
        { "POST", "/keys", """{"ttl": -1}""", 400, "ttl" },
        { "POST", "/keys", """{"ttl": "an hour"}""", 400, null },
        { "POST", "/keys", """{"ttl": 60, "scopes": ["root"]}""", 400, "scopes" },
        { "POST", "/keys", """{"ttl": 1e12}""", 400, "ttl" },
        { "GET", "/alive?filter=zombie", null, 400, "filter" },
        { "GET", "/alive?limit=-1", null, 400, "limit" },
        { "GET", "/alive?cursor=%00%01", null, 400, "cursor" },
        { "GET", "/sessions?status=sleeping", null, 400, "status" },
        { "GET", "/sessions/12345", null, 400, "session_id" },
        { "POST", "/sessions/not-a-uuid/complete", null, 400, "session_id" },
        { "DELETE", "/agents/123?force=maybe", null, 400, "force" },
        { "GET", "/agents/123/directives?after=-5", null, 400, "after" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_is_a_4xx_problem_that_names_the_problem_and_changes_nothing(string method, string path, string? json, int status, string? field)
    {
        var before = await SnapshotAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), Api + path) { Content = json is null ? null : HttpSilo.Json(json) };
        using var response = await Silo.Admin.SendAsync(request);
        var problem = await HttpSilo.AssertProblemAsync(response, (HttpStatusCode)status);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem should name '{field}': {problem}");
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    /// <summary>
    /// Grains name a field by their contract's member (<c>LeaseTtl</c>, <c>Context.WorktreePath</c>,
    /// the parameter <c>count</c>); the API names it as the request does, in the errors and the detail.
    /// </summary>
    [Theory]
    [InlineData("/sessions", """{"agent_name": "A", "lease_ttl": 0.5}""", "lease_ttl")]
    [InlineData("/sessions", """{"agent_name": "A", "context": {"worktree_path": "a\u0007b"}}""", "context.worktree_path")]
    [InlineData("/registry", """{"specialization": "ok", "agent_id": "ok", "display_name": " "}""", "display_name")]
    public async Task A_field_a_grain_refuses_is_named_as_the_request_names_it(string path, string json, string field)
    {
        using var response = await Silo.Admin.PostAsync(Api + path, HttpSilo.Json(json));
        var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem should name '{field}': {problem}");
        Assert.Contains(field + ": ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A route whose query name is not the grain parameter's (?tail=N is the log grain's count) still names its own.</summary>
    [Fact]
    public async Task A_query_value_a_grain_refuses_is_named_by_its_query_name()
    {
        using var spawned = await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json("""{"agent_name": "Quiet"}"""));
        var id = (await HttpSilo.ReadAsync(spawned)).GetProperty("id").GetString();
        using var response = await Silo.Admin.GetAsync($"{Api}/sessions/{id}/logs?tail=0");
        var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("tail", out _), problem.ToString());
        Assert.StartsWith("tail: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_missing_field_is_named_at_once()
    {
        using var response = await Silo.Admin.PostAsync(Api + "/steer", HttpSilo.Json("{}"));
        var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("agent_id", out _));
        Assert.True(errors.TryGetProperty("direction", out _));
    }

    [Fact]
    public async Task A_ten_megabyte_body_is_413_and_a_wrong_content_type_is_415()
    {
        var before = await SnapshotAsync();
        var huge = "{\"agent_name\": \"" + new string('a', 10 * 1024 * 1024) + "\"}";
        // As curl does for large bodies: announce it and wait for the server's go-ahead (or refusal).
        // Wait for it as long as it takes: a client that gives up after the default second sends the
        // body anyway, and on a busy machine meets the connection the refusal already closed.
        using var patient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) }) { BaseAddress = new Uri(Silo.BaseUrl) };
        patient.DefaultRequestHeaders.Authorization = Silo.Admin.DefaultRequestHeaders.Authorization;
        using (var request = new HttpRequestMessage(HttpMethod.Post, Api + "/sessions") { Content = new StringContent(huge, Encoding.UTF8, "application/json") })
        {
            request.Headers.ExpectContinue = true;
            using var response = await patient.SendAsync(request);
            await HttpSilo.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        }

        using (var response = await Silo.Admin.PostAsync(Api + "/sessions", new StringContent("<session/>", Encoding.UTF8, "application/xml")))
        {
            await HttpSilo.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    private static readonly Guid KnownSession = Guid.Parse("0b4d1a5e-7c1f-4a43-9d55-2f0b7d1a9e11");

    /// <summary>What bad input must not change: the stats, the keys, and a known session and agent.</summary>
    private async Task<string> SnapshotAsync()
    {
        // Idempotent set-up of the known records (the same requests change nothing the second time).
        using (await Silo.Admin.PostAsync(Api + "/registry", HttpSilo.Json("""{"specialization": "baseline", "agent_id": "bad-input-agent"}""")))
        using (await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json($$"""{"session_id": "{{KnownSession}}", "agent_name": "Baseline", "purpose": "stays"}""")))
        {
        }

        using var stats = await Silo.Admin.GetAsync(Api + "/stats");
        using var agent = await Silo.Admin.GetAsync(Api + "/agents/bad-input-agent");
        using var session = await Silo.Admin.GetAsync($"{Api}/sessions/{KnownSession}");
        using var keys = await Silo.Admin.GetAsync(Api + "/keys");
        Assert.Equal(HttpStatusCode.OK, agent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        return string.Join(" | ", await Task.WhenAll(new[] { stats, agent, session, keys }.Select(r => r.Content.ReadAsStringAsync())));
    }
}
