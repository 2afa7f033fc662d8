using System.Net;
using System.Text.Json;

namespace SessionMesh.Tests.Http;

/// <summary>Every endpoint of the mesh over HTTP, with the status codes a client relies on.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class EndpointTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private HttpSilo Silo => fixture.Silo;

    private HttpClient Client => Silo.Admin;

    [Fact]
    public async Task The_session_lifecycle_over_http()
    {
        var before = await GetAsync($"{Api}/stats");
        var root = await SendAsync(HttpMethod.Post, $"{Api}/sessions", """
            {"agent_name": "CodeGenAgent", "purpose": "Code generation for #270",
             "context": {"issue_number": 270, "current_phase": "CodeGeneration", "worktree_path": ".worktrees/issue-270",
                         "previous_results": [{"type": "issue_analysis", "complexity": "high", "estimated_duration": 5400}]}}
            """, HttpStatusCode.Created);
        var rootId = root.GetProperty("id").GetString();
        Assert.Equal("Active", root.GetProperty("status").GetString());

        var child = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{rootId}/handoff", """
            {"to_agent": "ReviewAgent", "context": {"current_phase": "Review", "previous_results": [{"type": "review", "quality_score": 8.5, "issues_found": 1}]}}
            """, HttpStatusCode.Created);
        var childId = child.GetProperty("id").GetString();
        Assert.Equal(rootId, child.GetProperty("parent_session").GetString());
        Assert.Equal(["issue_analysis", "review"], child.GetProperty("context").GetProperty("previous_results").EnumerateArray().Select(r => r.GetProperty("type").GetString()));
        Assert.Equal(5400, child.GetProperty("context").GetProperty("previous_results")[0].GetProperty("estimated_duration").GetDouble());

        var again = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{rootId}/handoff", """{"to_agent": "Other"}""", HttpStatusCode.Conflict);
        Assert.Contains("HandedOff", again.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var grandchild = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{childId}/handoff", """{"to_agent": "TestAgent"}""", HttpStatusCode.Created);
        var grandchildId = grandchild.GetProperty("id").GetString();
        await SendAsync(HttpMethod.Post, $"{Api}/sessions/{grandchildId}/complete", null, HttpStatusCode.OK);
        await SendAsync(HttpMethod.Post, $"{Api}/sessions/{grandchildId}/complete", null, HttpStatusCode.Conflict);

        var lineage = await GetAsync($"{Api}/sessions/{grandchildId}/lineage");
        Assert.Equal([rootId, childId, grandchildId], lineage.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var descendants = await GetAsync($"{Api}/sessions/{rootId}/descendants");
        Assert.Equal([childId, grandchildId], descendants.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal("Completed", (await GetAsync($"{Api}/sessions/{grandchildId}")).GetProperty("status").GetString());

        var failing = await SendAsync(HttpMethod.Post, $"{Api}/sessions", """{"agent_name": "DeployAgent"}""", HttpStatusCode.Created);
        var failed = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{failing.GetProperty("id").GetString()}/fail", """{"error": "no credentials"}""", HttpStatusCode.OK);
        Assert.Equal("no credentials", failed.GetProperty("error").GetString());

        var completed = await GetAsync($"{Api}/sessions?status=completed&limit=5");
        Assert.Contains(completed.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == grandchildId);
        var handedOff = await GetAsync($"{Api}/sessions?status=handed_off");
        Assert.Contains(handedOff.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == rootId);

        var after = await GetAsync($"{Api}/stats");
        Assert.Equal(Count(before, "total") + 4, Count(after, "total"));
        Assert.Equal(Count(before, "completed") + 1, Count(after, "completed"));
        Assert.Equal(Count(before, "failed") + 1, Count(after, "failed"));
        Assert.Equal(Count(before, "handed_off") + 2, Count(after, "handed_off"));

        await SendAsync(HttpMethod.Get, $"{Api}/sessions/{Guid.NewGuid()}", null, HttpStatusCode.NotFound);
        await SendAsync(HttpMethod.Post, $"{Api}/sessions/{Guid.NewGuid()}/complete", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_spawn_with_a_session_id_is_safe_to_retry()
    {
        var id = Guid.NewGuid();
        var body = $$"""{"session_id": "{{id}}", "agent_name": "CodeGenAgent", "purpose": "retry"}""";
        var first = await SendAsync(HttpMethod.Post, $"{Api}/sessions", body, HttpStatusCode.Created);
        var second = await SendAsync(HttpMethod.Post, $"{Api}/sessions", body, HttpStatusCode.Created);
        Assert.Equal(first.GetProperty("created_at").GetString(), second.GetProperty("created_at").GetString());
        await SendAsync(HttpMethod.Post, $"{Api}/sessions", $$"""{"session_id": "{{id}}", "agent_name": "Other"}""", HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_agent_side_over_http()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await SendAsync(HttpMethod.Post, $"{Api}/registry", $$"""{"specialization": "http-spec", "agent_id": "{{agentId}}", "lease_ttl": 60}""", HttpStatusCode.OK);
        var registry = await GetAsync($"{Api}/registry");
        Assert.Contains(registry.EnumerateArray(), s => s.GetProperty("specialization").GetString() == "http-spec");
        var found = await GetAsync($"{Api}/registry/http-spec/agents?filter=idle");
        Assert.Contains(found.EnumerateArray(), a => a.GetProperty("agent_id").GetString() == agentId);

        var lease = await SendAsync(HttpMethod.Post, $"{Api}/agents/{agentId}/heartbeat", """{"epoch": 1, "ttl": 45}""", HttpStatusCode.OK);
        Assert.Equal(45, lease.GetProperty("ttl").GetDouble());
        Assert.Equal("Alive", lease.GetProperty("health").GetString());
        await SendAsync(HttpMethod.Post, $"{Api}/agents/{agentId}/heartbeat", """{"epoch": 9}""", HttpStatusCode.Conflict);

        var directive = await SendAsync(HttpMethod.Post, $"{Api}/steer", $$"""{"agent_id": "{{agentId}}", "direction": "west", "message": "go around"}""", HttpStatusCode.OK);
        Assert.Equal(1, directive.GetProperty("sequence").GetInt64());
        var directives = await GetAsync($"{Api}/agents/{agentId}/directives?after=0");
        Assert.Equal("go around", directives[0].GetProperty("message").GetString());
        var acked = await SendAsync(HttpMethod.Post, $"{Api}/agents/{agentId}/acknowledgements", """{"epoch": 1, "sequence": 1}""", HttpStatusCode.OK);
        Assert.Equal(1, acked.GetProperty("acknowledged_through").GetInt64());

        var session = await SendAsync(HttpMethod.Post, $"{Api}/sessions", $$"""{"agent_name": "Runner", "agent_id": "{{agentId}}"}""", HttpStatusCode.Created);
        var sessionId = session.GetProperty("id").GetString();
        var sessionLease = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{sessionId}/heartbeat", """{"agent_epoch": 1, "ttl": 60}""", HttpStatusCode.OK);
        Assert.Equal("Alive", sessionLease.GetProperty("health").GetString());
        var alive = await GetAsync($"{Api}/alive?filter=alive&agent_id={agentId}");
        Assert.Equal([sessionId], alive.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("session").GetProperty("id").GetString()));
        var bySpec = await GetAsync($"{Api}/alive?filter=all&specialization=http-spec");
        Assert.Contains(bySpec.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("session").GetProperty("id").GetString() == sessionId);

        var killed = await SendAsync(HttpMethod.Delete, $"{Api}/agents/{agentId}?force=true", null, HttpStatusCode.OK);
        Assert.Equal("Killed", killed.GetProperty("status").GetString());
        Assert.Equal(2, killed.GetProperty("epoch").GetInt64());
        await SendAsync(HttpMethod.Post, $"{Api}/steer", $$"""{"agent_id": "{{agentId}}", "direction": "east"}""", HttpStatusCode.Conflict);
        await SendAsync(HttpMethod.Post, $"{Api}/agents/{agentId}/acknowledgements", """{"epoch": 1, "sequence": 1}""", HttpStatusCode.Conflict);
        Assert.Equal("Failed", (await GetAsync($"{Api}/sessions/{sessionId}")).GetProperty("status").GetString());
        await SendAsync(HttpMethod.Delete, $"{Api}/registry/http-spec/agents/{agentId}", null, HttpStatusCode.OK);
        await SendAsync(HttpMethod.Get, $"{Api}/agents/nobody-{Guid.NewGuid():N}", null, HttpStatusCode.NotFound);
        await SendAsync(HttpMethod.Post, $"{Api}/steer", """{"agent_id": "nobody-at-all", "direction": "east"}""", HttpStatusCode.NotFound);
    }

    private static long Count(JsonElement stats, string status) => stats.GetProperty("sessions").GetProperty(status).GetInt64();

    /// <summary>
    /// The API relays heartbeats to their shards in batches (<c>HeartbeatCoalescer</c>): sent all at
    /// once, each still gets its own answer, and a stale epoch among them is still 409.
    /// </summary>
    [Fact]
    public async Task Concurrent_heartbeats_each_get_their_own_answer()
    {
        var agents = Enumerable.Range(0, 6).Select(_ => $"beat-{Guid.NewGuid():N}").ToArray();
        foreach (var agent in agents)
        {
            await SendAsync(HttpMethod.Post, $"{Api}/registry", $$"""{"specialization": "http-beats", "agent_id": "{{agent}}", "lease_ttl": 120}""", HttpStatusCode.OK);
        }

        var beats = agents.SelectMany(agent => Enumerable.Range(0, 8).Select(_ => (Agent: agent, Lease: Task.Run(() =>
            SendAsync(HttpMethod.Post, $"{Api}/agents/{agent}/heartbeat", """{"epoch": 1}""", HttpStatusCode.OK))))).ToList();
        var stale = Task.Run(() => SendAsync(HttpMethod.Post, $"{Api}/agents/{agents[0]}/heartbeat", """{"epoch": 5}""", HttpStatusCode.Conflict));
        var longer = Task.Run(() => SendAsync(HttpMethod.Post, $"{Api}/agents/{agents[1]}/heartbeat", """{"epoch": 1, "ttl": 300}""", HttpStatusCode.OK));

        foreach (var (agent, lease) in beats)
        {
            var answer = await lease;
            Assert.Equal((agent, 1L, "Alive"), (answer.GetProperty("key").GetProperty("id").GetString(), answer.GetProperty("epoch").GetInt64(), answer.GetProperty("health").GetString()));
        }

        Assert.Contains("epoch 5 is stale", (await stale).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(300, (await longer).GetProperty("ttl").GetDouble());
    }

    private async Task<JsonElement> GetAsync(string path) => await SendAsync(HttpMethod.Get, path, null, HttpStatusCode.OK);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : HttpSilo.Json(json) };
        using var response = await Client.SendAsync(request);
        if (expected >= HttpStatusCode.BadRequest)
        {
            return await HttpSilo.AssertProblemAsync(response, expected);
        }

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
