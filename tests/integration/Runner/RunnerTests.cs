using System.Net;
using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Runner;

/// <summary>
/// `session-mesh run` supervising real bash agents against a real silo: steer reaches the process,
/// kill stops it and everything it started, its output is kept, its exit is the session's outcome.
/// </summary>
[Trait("Category", "Cli")]
[Collection(HttpSiloCollection.Name)]
public sealed class RunnerTests(HttpSiloFixture fixture)
{
    private const string WellBehaved = """
        echo $$ > child.pid
        trap 'echo term > sigterm.seen; exit 143' TERM
        sleep 1000 &
        echo $! > grandchild.pid
        echo "hello from the agent"
        while true; do sleep 0.1; done
        """;

    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_steered_agent_gets_every_directive_once_its_output_is_kept_and_a_graceful_kill_stops_it_and_its_children()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, WellBehaved, "--lease-ttl", "10", "--grace", "20");
        var sessionId = await runner.SessionIdAsync();
        var child = await runner.ReadPidAsync("child.pid");
        var grandchild = await runner.ReadPidAsync("grandchild.pid");

        for (var i = 1; i <= 20; i++)
        {
            using var steer = await Silo.Admin.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agentId}}", "direction": "d{{i}}"}"""));
            Assert.Equal(HttpStatusCode.OK, steer.StatusCode);
        }

        await Poll.UntilAsync(() => Task.FromResult(runner.Directives().Count >= 20), "20 directives in the agent's file");
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), runner.Directives().Select(d => d.GetProperty("sequence").GetInt64()));
        Assert.Equal("d20", runner.Directives()[^1].GetProperty("direction").GetString());
        await Poll.UntilAsync(async () => (await AgentAsync(agentId)).GetProperty("acknowledged_through").GetInt64() == 20, "the runner to acknowledge the directives");

        await Poll.UntilAsync(async () => (await LogTextsAsync(sessionId)).Contains("hello from the agent"), "the agent's output in the session log");
        var cli = await Cli.CliRunner.RunAsync(Silo.BaseUrl, HttpSilo.AdminKey, "logs", "--session-id", sessionId.ToString(), "--tail", "50");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Contains("stdout hello from the agent", cli.Stdout, StringComparison.Ordinal);

        using (var kill = await Silo.Admin.DeleteAsync($"/api/session-mesh/agents/{agentId}?grace=120"))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        Assert.Equal(143, await runner.WaitForExitAsync());
        Assert.True(File.Exists(Path.Combine(runner.Directory, "sigterm.seen")), "the agent saw SIGTERM");
        await Poll.UntilAsync(() => Task.FromResult(!RunnerProcess.IsAlive(child) && !RunnerProcess.IsAlive(grandchild)), "child and grandchild to be gone");
        var session = await SessionAsync(sessionId);
        Assert.Equal("Failed", session.GetProperty("status").GetString());
        Assert.Equal("killed", session.GetProperty("error").GetString());
        Assert.Equal("Killed", (await AgentAsync(agentId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_agent_that_ignores_SIGTERM_is_SIGKILLed_with_its_children_after_the_grace_period()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, """
            trap '' TERM
            echo $$ > child.pid
            bash -c 'trap "" TERM; echo $$ > grandchild.pid; while true; do sleep 0.1; done' &
            while true; do sleep 0.1; done
            """, "--lease-ttl", "10", "--grace", "1");
        var sessionId = await runner.SessionIdAsync();
        var child = await runner.ReadPidAsync("child.pid");
        var grandchild = await runner.ReadPidAsync("grandchild.pid");

        using (var kill = await Silo.Admin.DeleteAsync($"/api/session-mesh/agents/{agentId}?grace=120"))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        Assert.Equal(137, await runner.WaitForExitAsync());
        Assert.False(RunnerProcess.IsAlive(child));
        await Poll.UntilAsync(() => Task.FromResult(!RunnerProcess.IsAlive(grandchild)), "the grandchild to be gone");
        Assert.Equal("killed", (await SessionAsync(sessionId)).GetProperty("error").GetString());
        Assert.Equal("Killed", (await AgentAsync(agentId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_forced_kill_stops_the_agent_at_once()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, WellBehaved, "--lease-ttl", "10", "--grace", "60");
        var sessionId = await runner.SessionIdAsync();
        var grandchild = await runner.ReadPidAsync("grandchild.pid");

        using (var kill = await Silo.Admin.DeleteAsync($"/api/session-mesh/agents/{agentId}?force=true"))
        {
            Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
        }

        Assert.Equal(137, await runner.WaitForExitAsync());
        Assert.False(File.Exists(Path.Combine(runner.Directory, "sigterm.seen")), "a forced kill sends no SIGTERM");
        await Poll.UntilAsync(() => Task.FromResult(!RunnerProcess.IsAlive(grandchild)), "the grandchild to be gone");
        Assert.Equal("killed", (await SessionAsync(sessionId)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Exit_code_3_fails_the_session_with_the_code_and_the_last_output_and_the_runner_exits_3()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, "echo 'compiling'\necho 'error: 2 tests failed' >&2\nexit 3", "--lease-ttl", "10");
        var sessionId = await runner.SessionIdAsync();

        Assert.Equal(3, await runner.WaitForExitAsync());
        var session = await SessionAsync(sessionId);
        Assert.Equal("Failed", session.GetProperty("status").GetString());
        Assert.StartsWith("exit code 3", session.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("error: 2 tests failed", session.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("compiling", runner.Stdout, StringComparison.Ordinal);
        var agent = await AgentAsync(agentId);
        Assert.Equal("Idle", agent.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Exit_code_0_completes_the_session_and_leaves_the_agent_idle_and_its_key_revoked()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, "echo \"$SESSION_API_KEY\" > key.txt\necho done", "--lease-ttl", "10");
        var sessionId = await runner.SessionIdAsync();

        Assert.Equal(0, await runner.WaitForExitAsync());
        Assert.Equal("Completed", (await SessionAsync(sessionId)).GetProperty("status").GetString());
        Assert.Equal("Idle", (await AgentAsync(agentId)).GetProperty("status").GetString());
        var lease = await LeaseOfAgentAsync(agentId);
        Assert.Null(lease); // released: the agent will not be reported Lost later

        using var withChildKey = Silo.Client(File.ReadAllText(Path.Combine(runner.Directory, "key.txt")).Trim());
        using var refused = await withChildKey.GetAsync($"/api/session-mesh/sessions/{sessionId}");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_session_handed_off_from_inside_the_process_is_not_failed_by_its_exit()
    {
        var agentId = NewAgentId();
        var script = $$"""
            curl -sf -X POST "$SESSION_MESH_URL/api/session-mesh/sessions/$SESSION_MESH_SESSION_ID/handoff" \
                 -H "Authorization: Bearer $SESSION_API_KEY" -d '{"to_agent": "ReviewAgent"}' > handoff.json || exit 9
            exit 1
            """;
        await using var runner = RunnerProcess.Start(Silo, agentId, script, "--lease-ttl", "10");
        var sessionId = await runner.SessionIdAsync();

        Assert.Equal(1, await runner.WaitForExitAsync());
        var session = await SessionAsync(sessionId);
        Assert.Equal("HandedOff", session.GetProperty("status").GetString());
        Assert.Equal("ReviewAgent", session.GetProperty("handoff_to").GetString());
    }

    /// <summary>
    /// The command's first act freezes its runner (SIGSTOP), so nothing the runner would send after
    /// starting it can arrive: both leases must already exist. Then the runner is SIGKILLed. Before,
    /// the first heartbeats raced the command's start, and a runner killed in that window left a
    /// session with no lease, Active forever (seen under load: the agent Lost, its session never failed).
    /// </summary>
    [Fact]
    public async Task When_the_runner_is_SIGKILLed_its_child_and_grandchild_die_and_the_mesh_finds_the_agent_lost()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, "kill -STOP $PPID\necho $SESSION_MESH_SESSION_ID > session.id\necho $$ > child.pid\nsleep 1000 &\necho $! > grandchild.pid\nwhile true; do sleep 0.1; done", "--lease-ttl", "10");
        var sessionId = Guid.Parse(await runner.ReadLineAsync("session.id")); // the runner may be frozen before it says it
        var child = await runner.ReadPidAsync("child.pid");
        var grandchild = await runner.ReadPidAsync("grandchild.pid");
        Assert.Equal("T", RunnerProcess.State(runner.Process.Id)); // frozen: what it sent, it sent before starting the command
        Assert.NotNull(await LeaseOfAgentAsync(agentId));
        Assert.NotNull(await LeaseOfSessionAsync(agentId, sessionId));

        runner.Process.Kill(); // SIGKILL, the runner alone
        await Poll.UntilAsync(() => Task.FromResult(!RunnerProcess.IsAlive(child)), "the child to die with its runner");
        await Poll.UntilAsync(() => Task.FromResult(!RunnerProcess.IsAlive(grandchild)), "the grandchild to die with its runner");
        await Poll.UntilAsync(async () => (await AgentAsync(agentId)).GetProperty("status").GetString() == "Lost", "the agent to be found Lost");
        await Poll.UntilAsync(async () => (await SessionAsync(sessionId)).GetProperty("status").GetString() == "Failed", "the session to fail");
        Assert.Equal("heartbeat timeout", (await SessionAsync(sessionId)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_agent_that_heartbeats_but_makes_no_progress_is_reported_stalled_and_output_makes_it_alive_again()
    {
        var agentId = NewAgentId();
        await using var runner = RunnerProcess.Start(Silo, agentId, """
            echo "thinking"
            while [ ! -f wake ]; do sleep 0.1; done
            while true; do echo "working"; sleep 0.2; done
            """, "--lease-ttl", "6", "--stall-after", "1");
        var sessionId = await runner.SessionIdAsync();

        await Poll.UntilAsync(async () => (await DiscoverAsync("stalled")).Contains(sessionId.ToString(), StringComparison.Ordinal), "the session to be reported stalled");
        // Through the CLI too (polled: under load a late heartbeat can make the lease Stale for a moment).
        await Poll.UntilAsync(async () =>
        {
            var list = await Cli.CliRunner.RunAsync(Silo.BaseUrl, HttpSilo.AdminKey, "list", "--filter", "stalled", "--output", "json");
            Assert.True(list.ExitCode == 0, list.Stderr);
            return JsonDocument.Parse(list.Stdout).RootElement.GetProperty("sessions").EnumerateArray()
                .Any(s => s.GetProperty("session").GetProperty("id").GetString() == sessionId.ToString() && s.GetProperty("lease").GetProperty("stalled").GetBoolean());
        }, "list --filter stalled to show the session");

        await File.WriteAllTextAsync(Path.Combine(runner.Directory, "wake"), "");
        await Poll.UntilAsync(async () => (await DiscoverAsync("alive")).Contains(sessionId.ToString(), StringComparison.Ordinal), "the session to be alive again");
    }

    private async Task<string> DiscoverAsync(string filter)
    {
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/alive?filter={filter}&limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static string NewAgentId() => $"run-{Guid.NewGuid():N}"[..20];

    private async Task<JsonElement> AgentAsync(string agentId)
    {
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/agents/{agentId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HttpSilo.ReadAsync(response);
    }

    private async Task<JsonElement> SessionAsync(Guid sessionId)
    {
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/sessions/{sessionId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await HttpSilo.ReadAsync(response);
    }

    private async Task<string> LogTextsAsync(Guid sessionId)
    {
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/sessions/{sessionId}/logs?tail=100");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await HttpSilo.ReadAsync(response)).GetProperty("lines").EnumerateArray();
        return string.Join("\n", lines.Select(l => l.GetProperty("text").GetString()));
    }

    private async Task<JsonElement?> LeaseOfSessionAsync(string agentId, Guid sessionId)
    {
        // The session's lease as discovery reports it (the agent's Active sessions, leased or not).
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/alive?filter=active&agent_id={agentId}&limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listed = (await HttpSilo.ReadAsync(response)).GetProperty("sessions").EnumerateArray()
            .Single(s => s.GetProperty("session").GetProperty("id").GetString() == sessionId.ToString());
        return LeaseOf(listed);
    }

    private async Task<JsonElement?> LeaseOfAgentAsync(string agentId)
    {
        // The agent's lease as the registry reports it (any health; null when none is tracked).
        using var response = await Silo.Admin.GetAsync("/api/session-mesh/registry/runner-tests/agents?filter=any&limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await HttpSilo.ReadAsync(response);
        var listed = (body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("agents")).EnumerateArray()
            .Single(a => a.GetProperty("agent_id").GetString() == agentId);
        return LeaseOf(listed);
    }

    private static JsonElement? LeaseOf(JsonElement listed) =>
        listed.GetProperty("lease") is { ValueKind: not JsonValueKind.Null } lease ? lease : null;
}
