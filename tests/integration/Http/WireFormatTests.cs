using System.Net;
using System.Text.Json;

namespace SessionMesh.Tests.Http;

/// <summary>
/// The JSON shape of every answer, pinned property by property and in order: the API answers with
/// records of its own edge, so a grain contract may change without the wire changing — and a change
/// of the wire is a decision this test makes visible.
/// </summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class WireFormatTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private static readonly string[] Session =
        ["id", "agent_name", "purpose", "context", "status", "created_at", "updated_at", "ended_at", "parent_session", "child_sessions", "handoff_to", "error", "agent_id", "agent_epoch"];

    private static readonly string[] Summary =
        ["id", "agent_name", "purpose", "status", "created_at", "updated_at", "ended_at", "parent_session", "child_sessions", "handoff_to", "error", "agent_id", "agent_epoch", "current_phase"];

    private static readonly string[] Agent =
        ["id", "display_name", "specializations", "status", "current_session", "epoch", "direction", "last_sequence", "acknowledged_through", "registered_at", "updated_at", "kill_deadline"];

    private static readonly string[] Lease = ["key", "epoch", "ttl", "last_heartbeat", "expires_at", "health", "progress_at", "stalled"];

    private static readonly string[] Directive = ["sequence", "kind", "direction", "message", "issued_at"];

    private static readonly string[] Key = ["key_id", "scopes", "created_at", "expires_at", "revoked", "agent_id", "session_id", "label", "parent_key_id", "depth"];

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task Sessions_agents_and_their_pages_keep_their_json_shape()
    {
        var agentId = $"wire-{Guid.NewGuid():N}"[..20];
        var registered = await SendAsync(HttpMethod.Post, "/registry", $$"""{"specialization": "wire-format", "agent_id": "{{agentId}}"}""", HttpStatusCode.OK);
        Assert.Equal(Agent, Names(registered));

        var spawned = await SendAsync(HttpMethod.Post, "/sessions", $$$"""
            {"agent_name": "CodeGenAgent", "agent_id": "{{{agentId}}}", "context": {"issue_number": 7, "previous_results": [
              {"type": "issue_analysis", "complexity": "low", "estimated_duration": 90},
              {"type": "task_decomposition", "tasks": ["parse"]},
              {"type": "code_generation", "confidence": 0.5, "successful_worlds": 2},
              {"type": "review", "quality_score": 8.5, "issues_found": 1},
              {"type": "generic", "name": "lint", "json_payload": "{}"}]}}
            """, HttpStatusCode.Created);
        Assert.Equal(Session, Names(spawned));
        Assert.Equal(["issue_number", "current_phase", "worktree_path", "previous_results"], Names(spawned.GetProperty("context")));
        string[][] results =
        [
            ["type", "complexity", "estimated_duration"], ["type", "tasks"], ["type", "confidence", "successful_worlds"],
            ["type", "quality_score", "issues_found"], ["type", "name", "json_payload"],
        ];
        Assert.Equal(results, spawned.GetProperty("context").GetProperty("previous_results").EnumerateArray().Select(Names).ToArray());
        var id = spawned.GetProperty("id").GetString();
        var child = await SendAsync(HttpMethod.Post, $"/sessions/{id}/handoff", """{"to_agent": "ReviewAgent"}""", HttpStatusCode.Created);
        Assert.Equal(Session, Names(child));

        Assert.Equal(Session, Names(await SendAsync(HttpMethod.Get, $"/sessions/{id}", null, HttpStatusCode.OK)));
        Assert.Equal(Agent, Names(await SendAsync(HttpMethod.Get, $"/agents/{agentId}", null, HttpStatusCode.OK)));

        var page = await SendAsync(HttpMethod.Get, "/sessions?limit=1", null, HttpStatusCode.OK);
        Assert.Equal(["sessions", "next_cursor"], Names(page));
        Assert.Equal(Session, Names(page.GetProperty("sessions")[0]));

        var discovered = await SendAsync(HttpMethod.Get, $"/alive?filter=all&agent_id={agentId}", null, HttpStatusCode.OK);
        Assert.Equal(["sessions", "next_cursor"], Names(discovered));
        Assert.Equal(["session", "lease"], Names(discovered.GetProperty("sessions")[0]));
        Assert.Equal(Session, Names(discovered.GetProperty("sessions")[0].GetProperty("session")));

        var childId = child.GetProperty("id").GetString();
        Assert.Equal(Summary, Names((await SendAsync(HttpMethod.Get, $"/sessions/{childId}/lineage", null, HttpStatusCode.OK))[0]));
        Assert.Equal(Session, Names((await SendAsync(HttpMethod.Get, $"/sessions/{childId}/lineage?include=context", null, HttpStatusCode.OK))[0]));
        Assert.Equal(Summary, Names((await SendAsync(HttpMethod.Get, $"/sessions/{id}/descendants", null, HttpStatusCode.OK))[0]));
        Assert.Equal(Session, Names((await SendAsync(HttpMethod.Get, $"/sessions/{id}/descendants?include=context", null, HttpStatusCode.OK))[0]));

        Assert.Equal(Agent, Names(await SendAsync(HttpMethod.Delete, $"/agents/{agentId}?force=true", null, HttpStatusCode.OK)));
    }

    [Fact]
    public async Task Leases_directives_registry_stats_keys_events_and_logs_keep_their_json_shape()
    {
        var agentId = $"wire-{Guid.NewGuid():N}"[..20];
        var agent = await SendAsync(HttpMethod.Post, "/registry", $$"""{"specialization": "wire-shape", "agent_id": "{{agentId}}"}""", HttpStatusCode.OK);
        var lease = await SendAsync(HttpMethod.Post, $"/agents/{agentId}/heartbeat", $$"""{"epoch": {{agent.GetProperty("epoch").GetInt64()}}, "ttl": 600}""", HttpStatusCode.OK);
        Assert.Equal(Lease, Names(lease));
        Assert.Equal(["kind", "id", "shard"], Names(lease.GetProperty("key")));

        Assert.Equal(Directive, Names(await SendAsync(HttpMethod.Post, "/steer", $$"""{"agent_id": "{{agentId}}", "direction": "west"}""", HttpStatusCode.OK)));
        Assert.Equal(Directive, Names((await SendAsync(HttpMethod.Get, $"/agents/{agentId}/directives", null, HttpStatusCode.OK))[0]));

        var found = (await SendAsync(HttpMethod.Get, "/registry/wire-shape/agents", null, HttpStatusCode.OK)).EnumerateArray().Single(a => a.GetProperty("agent_id").GetString() == agentId);
        Assert.Equal(["agent_id", "status", "lease"], Names(found));
        Assert.Equal(Lease, Names(found.GetProperty("lease")));
        Assert.Equal(["specialization", "agents"], Names((await SendAsync(HttpMethod.Get, "/registry", null, HttpStatusCode.OK))[0]));

        var stats = await SendAsync(HttpMethod.Get, "/stats", null, HttpStatusCode.OK);
        Assert.Equal(["sessions", "sessions_expired", "agents_lost", "agents_killed"], Names(stats));
        Assert.Equal(["total", "active", "handed_off", "completed", "failed"], Names(stats.GetProperty("sessions")));

        var created = await SendAsync(HttpMethod.Post, "/keys", """{"ttl": 600, "scopes": ["operator"]}""", HttpStatusCode.OK);
        Assert.Equal(["session_key", "ttl", "expires_at", "key_id", "scopes", "label", "parent_key_id", "depth"], Names(created));
        var keyId = created.GetProperty("key_id").GetString();
        Assert.Equal(Key, Names((await SendAsync(HttpMethod.Get, "/keys", null, HttpStatusCode.OK)).EnumerateArray().Single(k => k.GetProperty("key_id").GetString() == keyId)));
        Assert.Equal(Key, Names(await SendAsync(HttpMethod.Delete, $"/keys/{keyId}", null, HttpStatusCode.OK)));

        var events = await SendAsync(HttpMethod.Get, "/events", null, HttpStatusCode.OK);
        Assert.Equal(["sequence", "event"], Names(events[0]));
        Assert.Equal(["kind", "subject", "detail", "at"], Names(events[0].GetProperty("event")));

        var session = await SendAsync(HttpMethod.Post, "/sessions", """{"agent_name": "Logged"}""", HttpStatusCode.Created);
        var id = session.GetProperty("id").GetString();
        Assert.Equal(["last_sequence"], Names(await SendAsync(HttpMethod.Post, $"/sessions/{id}/logs", """{"lines": [{"text": "hello"}]}""", HttpStatusCode.OK)));
        var logs = await SendAsync(HttpMethod.Get, $"/sessions/{id}/logs", null, HttpStatusCode.OK);
        Assert.Equal(["session_id", "lines"], Names(logs));
        Assert.Equal(["sequence", "at", "stream", "text"], Names(logs.GetProperty("lines")[0]));

        Assert.Equal(["violations", "checked"], Names(await SendAsync(HttpMethod.Get, "/audit", null, HttpStatusCode.OK)));
        Assert.Equal(["before", "resumed", "after"], Names(await SendAsync(HttpMethod.Post, "/audit/repair", null, HttpStatusCode.OK)));
    }

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, Api + path) { Content = json is null ? null : HttpSilo.Json(json) };
        using var response = await Silo.Admin.SendAsync(request);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await HttpSilo.ReadAsync(response);
    }
}
