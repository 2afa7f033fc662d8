using System.Net;
using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Sessions;

/// <summary>Handoff without a context, summaries, descendant paging and the new size problems, over real HTTP.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class SessionsOverHttpTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private HttpClient Client => fixture.Silo.Admin;

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : HttpSilo.Json(body) };
        using var response = await Client.SendAsync(request);
        var json = await HttpSilo.ReadAsync(response);
        Assert.True(expected == response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {json}");
        return json;
    }

    [Fact]
    public async Task A_handoff_without_context_keeps_the_issue_worktree_and_phase()
    {
        var root = await SendAsync(HttpMethod.Post, $"{Api}/sessions", """
            {"agent_name": "CodeGenAgent", "context": {"issue_number": 9, "current_phase": "CodeGeneration", "worktree_path": ".worktrees/issue-9"}}
            """, HttpStatusCode.Created);
        var child = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root.GetProperty("id").GetString()}/handoff", """{"to_agent": "ReviewAgent"}""", HttpStatusCode.Created);
        var context = child.GetProperty("context");
        Assert.Equal(9, context.GetProperty("issue_number").GetInt32());
        Assert.Equal(".worktrees/issue-9", context.GetProperty("worktree_path").GetString());
        Assert.Equal("CodeGeneration", context.GetProperty("current_phase").GetString());
    }

    [Fact]
    public async Task Lineage_and_descendants_answer_summaries_and_descendants_page_with_a_link()
    {
        var root = (await SendAsync(HttpMethod.Post, $"{Api}/sessions", """{"agent_name": "A", "context": {"issue_number": 1}}""", HttpStatusCode.Created)).GetProperty("id").GetString();
        var ids = new List<string?>();
        var at = root;
        for (var i = 0; i < 3; i++)
        {
            at = (await SendAsync(HttpMethod.Post, $"{Api}/sessions/{at}/handoff", """{"to_agent": "B"}""", HttpStatusCode.Created)).GetProperty("id").GetString();
            ids.Add(at);
        }

        var lineage = await SendAsync(HttpMethod.Get, $"{Api}/sessions/{at}/lineage", null, HttpStatusCode.OK);
        Assert.All(lineage.EnumerateArray(), s => Assert.False(s.TryGetProperty("context", out _)));
        Assert.Equal("B", lineage[3].GetProperty("agent_name").GetString());
        var full = await SendAsync(HttpMethod.Get, $"{Api}/sessions/{at}/lineage?include=context", null, HttpStatusCode.OK);
        Assert.Equal(1, full[3].GetProperty("context").GetProperty("issue_number").GetInt32());

        var seen = new List<string?>();
        var next = $"{Api}/sessions/{root}/descendants?limit=2";
        while (next is not null)
        {
            using var response = await Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await HttpSilo.ReadAsync(response);
            seen.AddRange(page.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('<', '>')[1] : null;
        }

        Assert.Equal(ids, seen);
        await SendAsync(HttpMethod.Get, $"{Api}/sessions/{root}/descendants?include=everything", null, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_handoff_repeated_with_its_child_session_id_returns_the_same_child_and_any_other_is_refused()
    {
        var root = (await SendAsync(HttpMethod.Post, $"{Api}/sessions", """{"agent_name": "CodeGenAgent"}""", HttpStatusCode.Created)).GetProperty("id").GetString();
        var childId = Guid.NewGuid().ToString();
        var body = $$"""{"to_agent": "ReviewAgent", "child_session_id": "{{childId}}"}""";

        // The first answer was lost, say; the client sends the same request again.
        var first = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root}/handoff", body, HttpStatusCode.Created);
        var again = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root}/handoff", body, HttpStatusCode.Created);
        Assert.Equal(childId, first.GetProperty("id").GetString());
        Assert.Equal(childId, again.GetProperty("id").GetString());
        var parent = await SendAsync(HttpMethod.Get, $"{Api}/sessions/{root}", null, HttpStatusCode.OK);
        Assert.Equal([childId], parent.GetProperty("child_sessions").EnumerateArray().Select(c => c.GetString()));

        // Another child id, or none, is a second handoff of a HandedOff session.
        await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root}/handoff", $$"""{"to_agent": "ReviewAgent", "child_session_id": "{{Guid.NewGuid()}}"}""", HttpStatusCode.Conflict);
        await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root}/handoff", """{"to_agent": "ReviewAgent"}""", HttpStatusCode.Conflict);

        var bad = await SendAsync(HttpMethod.Post, $"{Api}/sessions/{root}/handoff", """{"to_agent": "ReviewAgent", "child_session_id": "not-a-uuid"}""", HttpStatusCode.BadRequest);
        Assert.Contains("child_session_id", bad.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_context_over_the_limit_is_a_422_naming_the_limit()
    {
        // Five results, each within the 64 KiB a single payload may hold, together over the 256 KiB context limit.
        var result = $$"""{"type": "generic", "name": "n", "json_payload": "\"{{new string('x', 60_000)}}\""}""";
        var problem = await SendAsync(HttpMethod.Post, $"{Api}/sessions", $$$"""
            {"agent_name": "A", "context": {"previous_results": [{{{string.Join(",", Enumerable.Repeat(result, 5))}}}]}}
            """, (HttpStatusCode)422);
        Assert.Equal("Context too large", problem.GetProperty("title").GetString());
        Assert.Contains("256 KiB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
