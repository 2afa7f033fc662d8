using System.Net;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Mcp;

/// <summary>The mesh's MCP server at /mcp, driven by the C# SDK's own client over real HTTP.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class McpTests(HttpSiloFixture fixture)
{
    private static readonly string[] Tools =
    [
        "discover_sessions", "find_agents", "register_agent", "steer_agent", "kill_agent", "spawn_session",
        "handoff_session", "complete_session", "fail_session", "get_lineage", "get_stats",
    ];

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task Every_tool_is_listed_with_a_description_and_a_schema()
    {
        await using var client = await ConnectAsync(HttpSilo.AdminKey);
        var tools = await client.ListToolsAsync();
        Assert.Equal(Tools.Order(StringComparer.Ordinal), tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var tool in tools)
        {
            Assert.False(string.IsNullOrWhiteSpace(tool.Description), tool.Name);
            Assert.Equal("object", tool.JsonSchema.GetProperty("type").GetString());
        }

        var steer = tools.Single(t => t.Name == "steer_agent").JsonSchema;
        Assert.Contains("agent_id", steer.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("direction", steer.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_operator_registers_and_steers_an_agent_and_a_mesh_error_is_a_tool_error_naming_it()
    {
        await using var client = await ConnectAsync(HttpSilo.AdminKey);
        var agentId = $"mcp-{Guid.NewGuid():N}"[..16];
        Assert.NotEqual(true, (await client.CallToolAsync("register_agent", new Dictionary<string, object?> { ["specialization"] = "mcp", ["agent_id"] = agentId })).IsError);

        var steer = await client.CallToolAsync("steer_agent", new Dictionary<string, object?> { ["agent_id"] = agentId, ["direction"] = "west", ["message"] = "avoid the ridge" });
        Assert.NotEqual(true, steer.IsError);
        var directive = JsonDocument.Parse(Text(steer)).RootElement;
        Assert.Equal(1, directive.GetProperty("sequence").GetInt64());
        Assert.Equal("west", directive.GetProperty("direction").GetString());

        using var read = await Silo.Admin.GetAsync($"/api/session-mesh/agents/{agentId}");
        Assert.Equal("west", (await HttpSilo.ReadAsync(read)).GetProperty("direction").GetString());

        var unknown = await client.CallToolAsync("steer_agent", new Dictionary<string, object?> { ["agent_id"] = "nobody-" + agentId, ["direction"] = "west" });
        Assert.True(unknown.IsError);
        Assert.Contains("AgentNotFound", Text(unknown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_key_hands_off_its_own_session_but_may_not_steer()
    {
        using var spawn = await Silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json("""{"agent_name": "CodeGenAgent", "context": {"issue_number": 270, "current_phase": "CodeGeneration", "previous_results": [{"type": "review", "quality_score": 8.5, "issues_found": 1}]}}"""));
        var sessionId = (await HttpSilo.ReadAsync(spawn)).GetProperty("id").GetString()!;
        var agentKey = await Silo.CreateKeyAsync($$"""{"ttl": 600, "scopes": ["agent"], "session_id": "{{sessionId}}"}""");
        await using var client = await ConnectAsync(agentKey);

        var handoff = await client.CallToolAsync("handoff_session", new Dictionary<string, object?> { ["session_id"] = sessionId, ["to_agent"] = "ReviewAgent", ["phase"] = "Review" });
        Assert.NotEqual(true, handoff.IsError);
        var child = JsonDocument.Parse(Text(handoff)).RootElement;
        Assert.Equal("ReviewAgent", child.GetProperty("agent_name").GetString());
        Assert.Equal(sessionId, child.GetProperty("parent_session").GetString());
        // The inherited results as the HTTP API shows them: typed, every property present.
        var inherited = Assert.Single(child.GetProperty("context").GetProperty("previous_results").EnumerateArray());
        Assert.Equal("review", inherited.GetProperty("type").GetString());
        Assert.Equal(8.5, inherited.GetProperty("quality_score").GetDouble());
        Assert.Equal(1, inherited.GetProperty("issues_found").GetInt32());

        var again = await client.CallToolAsync("handoff_session", new Dictionary<string, object?> { ["session_id"] = sessionId, ["to_agent"] = "ReviewAgent" });
        Assert.True(again.IsError);
        Assert.Contains("InvalidTransition", Text(again), StringComparison.Ordinal);

        var steer = await client.CallToolAsync("steer_agent", new Dictionary<string, object?> { ["agent_id"] = "123", ["direction"] = "west" });
        Assert.True(steer.IsError);
        Assert.Contains("Forbidden", Text(steer), StringComparison.Ordinal);

        var otherSession = await client.CallToolAsync("complete_session", new Dictionary<string, object?> { ["session_id"] = child.GetProperty("id").GetString() });
        Assert.True(otherSession.IsError);
        Assert.Contains("Forbidden", Text(otherSession), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_valid_key_the_endpoint_answers_401()
    {
        using var response = await Silo.Http.PostAsync("/mcp", HttpSilo.Json("""{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await ConnectAsync("smk_0123456789abcdef_notARealKeyAtAllxxxxxxxxxxxxxx"));
    }

    private async Task<McpClient> ConnectAsync(string key)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(Silo.BaseUrl + "/mcp"),
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {key}" },
            TransportMode = HttpTransportMode.StreamableHttp,
        });
        // The client probes for the newest protocol first and falls back to `initialize` when the probe
        // is not answered within 5 s; on a busy machine the fallback then sent the probe's version
        // header with the older version's body, which the server rightly refused. Wait for the answer.
        return await McpClient.CreateAsync(transport, new McpClientOptions { DiscoverProbeTimeout = Timeout.InfiniteTimeSpan, InitializationTimeout = TimeSpan.FromMinutes(2) });
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));
}
