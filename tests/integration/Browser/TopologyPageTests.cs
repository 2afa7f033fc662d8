using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SessionMesh.Tests.Http;
using static Microsoft.Playwright.Assertions;

namespace SessionMesh.Tests.Browser;

/// <summary>The /topology page in a real Chromium against a real silo: sign-in, live updates, actions.</summary>
[Trait("Category", "Browser")]
[Collection(BrowserCollection.Name)]
public sealed partial class TopologyPageTests(BrowserFixture fixture)
{
    /// <summary>A generous bound for a condition to become true (the machine is shared); not a timing assertion.</summary>
    private static readonly LocatorAssertionsToHaveCountOptions Count = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToHaveAttributeOptions Attribute = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToContainTextOptions Text = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToHaveTextOptions Badge = new() { Timeout = 30_000 };

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task Signing_in_with_an_operator_key_opens_the_live_view_and_a_bad_key_is_refused()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await page.GotoAsync("/topology");
        await page.FillAsync("#key", "smk_nope_nope");
        await page.ClickAsync("#signin-form button");
        await Expect(page.Locator("#signin-error")).Not.ToBeEmptyAsync(new() { Timeout = 30_000 });
        Assert.True(await page.Locator("#app").IsHiddenAsync());

        await browser.SignInAsync(await Silo.CreateKeyAsync());
        Assert.DoesNotContain("smk_", page.Url, StringComparison.Ordinal);
        Assert.True(await page.Locator("#signin").IsHiddenAsync());

        // The page is reachable from / too, and carries a strict content security policy.
        var home = await page.APIRequest.GetAsync("/");
        Assert.Contains("/topology", await home.TextAsync(), StringComparison.Ordinal);
        var topology = await page.APIRequest.GetAsync("/topology");
        Assert.Contains("script-src 'self'", topology.Headers["content-security-policy"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handoff_chain_made_through_the_api_appears_as_four_nodes_and_three_edges_without_a_reload()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await browser.SignInAsync(await Silo.CreateKeyAsync());
        await page.EvaluateAsync("() => { window.__notReloaded = true; }");

        var issue = Random.Shared.Next(10_000, 99_999);
        var root = await SpawnAsync("CodeGenAgent", issue);
        var current = root;
        foreach (var (agent, phase) in new[] { ("ReviewAgent", "Review"), ("TestAgent", "Test"), ("DeployAgent", "Merge") })
        {
            current = await HandoffAsync(current, agent, phase, issue);
        }

        var row = page.Locator($".lineage[data-root=\"{root}\"]");
        await Expect(row.Locator(".node")).ToHaveCountAsync(4, Count);
        await Expect(row.Locator("svg.edge")).ToHaveCountAsync(3, Count);
        Assert.Equal(["CodeGenAgent", "ReviewAgent", "TestAgent", "DeployAgent"], await row.Locator(".node .agent").AllTextContentsAsync());
        Assert.Equal(["HandedOff", "HandedOff", "HandedOff", "Active"], await row.Locator(".node .status").AllTextContentsAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));

        // The filter by issue number keeps exactly that lineage.
        await page.FillAsync("#f-issue", issue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator(".lineage")).ToHaveCountAsync(1, Count);

        // The detail panel shows the lineage and the context.
        await row.Locator(".node").Nth(3).ClickAsync();
        await Expect(page.Locator("#detail .lineage-list li")).ToHaveCountAsync(4, Count);
        await Expect(page.Locator("#detail .ctx")).ToContainTextAsync(issue.ToString(System.Globalization.CultureInfo.InvariantCulture), Text);

        // Completing from the page ends the session, and the node says so.
        await page.ClickAsync("#detail button[data-action=complete]");
        await Expect(row.Locator(".node").Nth(3)).ToHaveAttributeAsync("data-status", "Completed", Attribute);
    }

    [Fact]
    public async Task Killing_an_agent_from_the_page_changes_its_status_and_fails_its_session()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        var (agent, session) = await BusyAgentAsync("page-kill");
        await browser.SignInAsync(await Silo.CreateKeyAsync());

        var agentRow = page.Locator($"tr[data-agent=\"{agent}\"]");
        await Expect(agentRow).ToHaveAttributeAsync("data-status", "Busy", Attribute);
        await agentRow.Locator("button[data-action=kill]").ClickAsync();
        await page.CheckAsync("#kill-force");
        await page.ClickAsync("#detail button[data-action='confirm kill']");
        await page.ClickAsync("#confirm-ok");

        await Expect(agentRow).ToHaveAttributeAsync("data-status", "Killed", Attribute);
        await Expect(agentRow.Locator(".status")).ToHaveTextAsync("Killed", new() { Timeout = 30_000 });
        await Expect(page.Locator($".node[data-session=\"{session}\"]")).ToHaveAttributeAsync("data-status", "Failed", Attribute);
        using var stored = await Silo.Admin.GetAsync($"/api/session-mesh/agents/{agent}");
        Assert.Equal("Killed", (await HttpSilo.ReadAsync(stored)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_refused_action_shows_the_problem_detail()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        var (agent, _) = await BusyAgentAsync("page-refused");
        using (var kill = await Silo.Admin.DeleteAsync($"/api/session-mesh/agents/{agent}?force=true"))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        // What the API itself answers to steering a killed agent.
        using var refused = await Silo.Admin.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agent}}", "direction": "west"}"""));
        var detail = (await HttpSilo.AssertProblemAsync(refused, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!;

        await browser.SignInAsync(await Silo.CreateKeyAsync());
        var agentRow = page.Locator($"tr[data-agent=\"{agent}\"]");
        await Expect(agentRow).ToHaveAttributeAsync("data-status", "Killed", Attribute);
        await agentRow.Locator("button[data-action=steer]").ClickAsync();
        await page.FillAsync("#steer-direction", "west");
        await page.ClickAsync("#steer-form button");
        await Expect(page.Locator("#problem")).ToContainTextAsync(detail, Text);
        await Expect(agentRow).ToHaveAttributeAsync("data-status", "Killed", Attribute);
    }

    [Fact]
    public async Task A_realistic_mesh_is_drawn_and_saved_as_a_screenshot()
    {
        var chains = await RealisticMesh.BuildAsync(Silo);
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await browser.SignInAsync(await Silo.CreateKeyAsync());
        foreach (var root in chains)
        {
            await Expect(page.Locator($".lineage[data-root=\"{root}\"]")).ToHaveCountAsync(1, Count);
        }

        await page.Locator($".lineage[data-root=\"{chains[0]}\"] .node").Last.ClickAsync();
        await Expect(page.Locator("#detail .lineage-list li")).Not.ToHaveCountAsync(0, new() { Timeout = 30_000 });
        var path = Path.Combine(AppContext.BaseDirectory, "topology-screenshot.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = false });
        Assert.True(new FileInfo(path).Length > 10_000);

        // SESSIONMESH_README_SCREENSHOT=docs/topology.png refreshes the README's picture.
        if (Environment.GetEnvironmentVariable("SESSIONMESH_README_SCREENSHOT") is { Length: > 0 } readme)
        {
            File.Copy(path, readme, overwrite: true);
        }
    }

    [Fact]
    public async Task Changes_whose_reads_fail_are_read_again_and_the_page_says_it_is_catching_up_meanwhile()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await browser.SignInAsync(await Silo.CreateKeyAsync());

        // The browser refuses every read of one session, as Chromium does with reads queued past its bound.
        var refused = 0;
        await page.RouteAsync(SessionRead(), route =>
        {
            Interlocked.Increment(ref refused);
            return route.AbortAsync("failed");
        });
        var issue = Random.Shared.Next(10_000, 99_999);
        var spawned = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            spawned.Add(await SpawnAsync("CodeGenAgent", issue));
        }

        await Expect(page.Locator("#connection")).ToHaveTextAsync("catching up", Badge);
        Assert.True(Volatile.Read(ref refused) > 0);

        // Reads work again: every change announced while they failed is shown, and the page is live.
        await page.UnrouteAllAsync();
        foreach (var id in spawned)
        {
            await Expect(page.Locator($".node[data-session=\"{id}\"]")).ToHaveCountAsync(1, Count);
        }

        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Badge);
    }

    [Fact]
    public async Task A_child_read_before_its_parent_joins_the_parents_row_once_the_parent_is_read()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await browser.SignInAsync(await Silo.CreateKeyAsync());

        // Every read of the root fails until let through; its child's reads succeed, so the page
        // meets the child first, with a parent it does not know.
        var issue = Random.Shared.Next(10_000, 99_999);
        var rootId = Guid.NewGuid();
        var rootRead = new Regex($"/api/session-mesh/sessions/{rootId}$");
        await page.RouteAsync(rootRead, route => route.AbortAsync("failed"));
        await SpawnAsync("CodeGenAgent", issue, rootId);
        var child = await HandoffAsync(rootId.ToString(), "ReviewAgent", "Review", issue);
        await Expect(page.Locator($".node[data-session=\"{child}\"]")).ToHaveCountAsync(1, Count);
        await Expect(page.Locator("#connection")).ToHaveTextAsync("catching up", Badge);

        await page.UnrouteAsync(rootRead);
        var row = page.Locator($".lineage[data-root=\"{rootId}\"]");
        await Expect(row.Locator(".node")).ToHaveCountAsync(2, Count);
        await Expect(page.Locator($".lineage[data-root=\"{child}\"]")).ToHaveCountAsync(0, Count);
        await Expect(page.Locator($".node[data-session=\"{child}\"]")).ToHaveCountAsync(1, Count);
    }

    [Fact]
    public async Task Rows_pushed_off_the_first_page_by_new_lineages_let_go_of_their_nodes()
    {
        await using var browser = await fixture.OpenAsync();
        var page = browser.Page;
        await browser.SignInAsync(await Silo.CreateKeyAsync());

        // More new lineages than the page draws (100 rows), each prepended as it is announced.
        var issue = Random.Shared.Next(10_000, 99_999);
        var spawned = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 130), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) => spawned.Add(await SpawnAsync("CodeGenAgent", issue)));
        await page.WaitForFunctionAsync("ids => ids.every((id) => window.__topology.sessions.has(id))", spawned.ToArray(), new() { Timeout = 60_000 });
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", Badge);

        var held = await page.EvaluateAsync<JsonElement>("""
            () => {
              const held = [...window.__topology.nodes.values()];
              return { held: held.length, detached: held.filter((n) => !n.isConnected).length, drawn: document.querySelectorAll('#lineages .node').length };
            }
            """);
        Assert.Equal(0, held.GetProperty("detached").GetInt32());
        Assert.Equal(held.GetProperty("drawn").GetInt32(), held.GetProperty("held").GetInt32());
        Assert.Equal(100, await page.Locator("#lineages .lineage").CountAsync());
    }

    /// <summary>A read of one session by the page: GET /api/session-mesh/sessions/{id}, nothing after the id.</summary>
    [GeneratedRegex(@"/api/session-mesh/sessions/[0-9a-fA-F-]{32,36}$")]
    private static partial Regex SessionRead();

    private async Task<(string Agent, string Session)> BusyAgentAsync(string spec)
    {
        var agent = $"{spec}-{Guid.NewGuid():N}"[..24];
        using (var register = await Silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "{{spec}}", "agent_id": "{{agent}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        using var spawn = await Silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json($$"""{"agent_name": "CodeGenAgent", "agent_id": "{{agent}}", "purpose": "kill me"}"""));
        Assert.Equal(HttpStatusCode.Created, spawn.StatusCode);
        return (agent, (await HttpSilo.ReadAsync(spawn)).GetProperty("id").GetString()!);
    }

    private async Task<string> SpawnAsync(string agentName, int issue, Guid? sessionId = null)
    {
        var id = sessionId is { } chosen ? $"\"session_id\": \"{chosen}\", " : string.Empty;
        using var spawn = await Silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json($$$"""{{{{id}}}"agent_name": "{{{agentName}}}", "purpose": "Code generation for #{{{issue}}}", "context": {"issue_number": {{{issue}}}, "current_phase": "CodeGeneration"}}"""));
        Assert.Equal(HttpStatusCode.Created, spawn.StatusCode);
        return (await HttpSilo.ReadAsync(spawn)).GetProperty("id").GetString()!;
    }

    private async Task<string> HandoffAsync(string sessionId, string toAgent, string phase, int issue)
    {
        using var handoff = await Silo.Admin.PostAsync($"/api/session-mesh/sessions/{sessionId}/handoff", HttpSilo.Json($$$"""{"to_agent": "{{{toAgent}}}", "context": {"issue_number": {{{issue}}}, "current_phase": "{{{phase}}}"}}"""));
        Assert.Equal(HttpStatusCode.Created, handoff.StatusCode);
        return (await HttpSilo.ReadAsync(handoff)).GetProperty("id").GetString()!;
    }
}

/// <summary>A mesh that looks like a working day: agents in several specializations, chains at every stage.</summary>
public static class RealisticMesh
{
    public static async Task<List<string>> BuildAsync(HttpSilo silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var roots = new List<string>();
        string[] specs = ["code-generation", "review", "testing", "deployment"];
        var agents = new List<(string Id, string Spec)>();
        foreach (var spec in specs)
        {
            for (var i = 1; i <= 3; i++)
            {
                var id = $"{spec[..4]}-{i}-{Guid.NewGuid().ToString("N")[..4]}";
                agents.Add((id, spec));
                await Send(silo, HttpMethod.Post, "/api/session-mesh/registry", $$"""{"specialization": "{{spec}}", "agent_id": "{{id}}", "lease_ttl": 600}""");
            }
        }

        (string Agent, string Phase)[] flow = [("CodeGenAgent", "CodeGeneration"), ("ReviewAgent", "Review"), ("TestAgent", "Test"), ("DeployAgent", "Merge")];
        for (var chain = 0; chain < 8; chain++)
        {
            var issue = 270 + chain;
            var length = 1 + (chain % 4);
            var first = agents[chain % 3].Id;
            var session = await SpawnAsync(silo, flow[0].Agent, issue, flow[0].Phase, chain < 4 ? first : null);
            roots.Add(session);
            for (var step = 1; step < length; step++)
            {
                var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["to_agent"] = flow[step].Agent, ["context"] = new Dictionary<string, object> { ["issue_number"] = issue, ["current_phase"] = flow[step].Phase } });
                session = (await Send(silo, HttpMethod.Post, $"/api/session-mesh/sessions/{session}/handoff", body)).GetProperty("id").GetString()!;
            }

            if (chain == 5)
            {
                await Send(silo, HttpMethod.Post, $"/api/session-mesh/sessions/{session}/fail", """{"error": "tests red"}""");
            }
            else if (chain % 4 == 3)
            {
                await Send(silo, HttpMethod.Post, $"/api/session-mesh/sessions/{session}/complete", null);
            }
            else if (chain < 4)
            {
                // The first session of a chain runs on a registered agent (epoch 1); the rest on none.
                var epoch = session == roots[^1] ? ", \"agent_epoch\": 1" : "";
                await Send(silo, HttpMethod.Post, $"/api/session-mesh/sessions/{session}/heartbeat", "{\"ttl\": 600" + epoch + "}");
            }
        }

        await Send(silo, HttpMethod.Post, "/api/session-mesh/steer", $$"""{"agent_id": "{{agents[0].Id}}", "direction": "west", "message": "avoid the ridge"}""");
        await Send(silo, HttpMethod.Delete, $"/api/session-mesh/agents/{agents[11].Id}?force=true", null);
        await Send(silo, HttpMethod.Delete, $"/api/session-mesh/agents/{agents[8].Id}", null);
        return roots;
    }

    private static async Task<string> SpawnAsync(HttpSilo silo, string agentName, int issue, string phase, string? agentId)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["agent_name"] = agentName,
            ["purpose"] = $"Work on issue #{issue}",
            ["agent_id"] = agentId,
            ["lease_ttl"] = agentId is null ? null : 600,
            ["context"] = new Dictionary<string, object> { ["issue_number"] = issue, ["current_phase"] = phase, ["worktree_path"] = $".worktrees/issue-{issue}" },
        });
        return (await Send(silo, HttpMethod.Post, "/api/session-mesh/sessions", body)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> Send(HttpSilo silo, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : HttpSilo.Json(json) };
        using var response = await silo.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
