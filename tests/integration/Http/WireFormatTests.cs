using System.Net;
using System.Text.Json;

namespace SessionMesh.Tests.Http;

/// <summary>
/// The JSON shape of sessions and agents, pinned property by property and in order: the API answers
/// with records of its own edge, so a grain contract may change without the wire changing — and a
/// change of the wire is a decision this test makes visible.
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

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task Sessions_agents_and_their_pages_keep_their_json_shape()
    {
        var agentId = $"wire-{Guid.NewGuid():N}"[..20];
        var registered = await SendAsync(HttpMethod.Post, "/registry", $$"""{"specialization": "wire-format", "agent_id": "{{agentId}}"}""", HttpStatusCode.OK);
        Assert.Equal(Agent, Names(registered));

        var spawned = await SendAsync(HttpMethod.Post, "/sessions", $$"""{"agent_name": "CodeGenAgent", "agent_id": "{{agentId}}"}""", HttpStatusCode.Created);
        Assert.Equal(Session, Names(spawned));
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

    private static string[] Names(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, Api + path) { Content = json is null ? null : HttpSilo.Json(json) };
        using var response = await Silo.Admin.SendAsync(request);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await HttpSilo.ReadAsync(response);
    }
}
