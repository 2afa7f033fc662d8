using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Cli;

/// <summary>The session-mesh tool against a real silo on a loopback port.</summary>
[Trait("Category", "Cli")]
[Collection(HttpSiloCollection.Name)]
public sealed class CliTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    private Task<CliRunner.Result> RunAsync(params string[] args) => CliRunner.RunAsync(Silo.BaseUrl, HttpSilo.AdminKey, args);

    [Fact]
    public async Task The_skill_commands_work_exactly_as_written()
    {
        var register = await RunAsync("register", "--spec", "data-analysis", "--agent-id", "789");
        Assert.True(register.ExitCode == 0, register.Stderr);
        Assert.Contains("data-analysis", register.Stdout, StringComparison.Ordinal);

        (await RunAsync("register", "--spec", "navigation", "--agent-id", "123")).AssertOk();
        var steer = await RunAsync("steer", "--agent-id", "123", "--direction", "west");
        steer.AssertOk();
        Assert.Contains("west", steer.Stdout, StringComparison.Ordinal);

        var list = await RunAsync("list", "--filter", "alive", "--output", "json");
        list.AssertOk();
        Assert.True(JsonDocument.Parse(list.Stdout).RootElement.TryGetProperty("sessions", out _));

        (await RunAsync("register", "--spec", "doomed", "--agent-id", "456")).AssertOk();
        var kill = await RunAsync("kill", "--agent-id", "456", "--force");
        kill.AssertOk();
        Assert.Contains("Killed", kill.Stdout, StringComparison.Ordinal);

        var verbose = await RunAsync("list", "--filter", "alive", "--verbose");
        verbose.AssertOk();
        Assert.Contains("> GET ", verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("< 200", verbose.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(HttpSilo.AdminKey, verbose.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(HttpSilo.AdminKey, verbose.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_codes_tell_not_found_auth_and_usage_apart()
    {
        var notFound = await RunAsync("kill", "--agent-id", $"ghost-{Guid.NewGuid():N}", "--force");
        Assert.Equal(3, notFound.ExitCode);
        Assert.StartsWith("error: Agent not found (404)", notFound.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", notFound.Stderr, StringComparison.Ordinal);

        Assert.Equal(4, (await CliRunner.RunAsync(Silo.BaseUrl, "smk_0123456789abcdef_notARealKeyAtAllxxxxxxxxxxxxxx", "stats")).ExitCode);
        Assert.Equal(4, (await CliRunner.RunAsync(Silo.BaseUrl, null, "stats")).ExitCode);
        var operatorKey = await Silo.CreateKeyAsync();
        Assert.Equal(4, (await CliRunner.RunAsync(Silo.BaseUrl, operatorKey, "keys", "create", "--ttl", "60")).ExitCode);

        Assert.Equal(2, (await RunAsync("steer", "--agent-id", "123")).ExitCode);
        Assert.Equal(2, (await RunAsync("list", "--filter", "sideways")).ExitCode);
        Assert.Equal(2, (await RunAsync("no-such-command")).ExitCode);
        Assert.Equal(0, (await RunAsync("--help")).ExitCode);
        var help = await RunAsync("kill", "--help");
        Assert.Contains("session-mesh kill --agent-id 456 --force", help.Stdout, StringComparison.Ordinal);

        // A killed agent of this test's own (not one another test happened to kill first).
        var killed = $"killed-{Guid.NewGuid():N}";
        (await RunAsync("register", "--spec", "doomed", "--agent-id", killed)).AssertOk();
        (await RunAsync("kill", "--agent-id", killed, "--force")).AssertOk();
        var conflict = await RunAsync("steer", "--agent-id", killed, "--direction", "north");
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("Invalid transition (409)", conflict.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sessions_from_the_command_line()
    {
        var spawned = await RunAsync("spawn", "--agent-name", "CodeGenAgent", "--purpose", "cli", "--issue", "270", "--phase", "CodeGeneration", "-o", "json");
        spawned.AssertOk();
        var root = JsonDocument.Parse(spawned.Stdout).RootElement.GetProperty("id").GetString()!;
        var handoff = await RunAsync("handoff", "--session-id", root, "--to-agent", "ReviewAgent", "--phase", "Review", "-o", "json");
        handoff.AssertOk();
        var child = JsonDocument.Parse(handoff.Stdout).RootElement.GetProperty("id").GetString()!;

        var lineage = await RunAsync("lineage", "--session-id", child);
        lineage.AssertOk();
        Assert.Matches(@"CodeGenAgent \(HandedOff\)[^\n]*\n└── ReviewAgent \(Active\)", lineage.Stdout);

        (await RunAsync("heartbeat", "--session-id", child, "--ttl", "60")).AssertOk();
        var get = await RunAsync("get", "--session-id", child);
        get.AssertOk();
        Assert.Contains("ReviewAgent", get.Stdout, StringComparison.Ordinal);
        (await RunAsync("complete", "--session-id", child)).AssertOk();
        Assert.Equal(1, (await RunAsync("complete", "--session-id", child)).ExitCode);

        var failing = JsonDocument.Parse((await RunAsync("spawn", "--agent-name", "TestAgent", "-o", "json")).Stdout).RootElement.GetProperty("id").GetString()!;
        (await RunAsync("fail", "--session-id", failing, "--error", "3 tests failed")).AssertOk();
        var stats = await RunAsync("stats", "--output", "json");
        stats.AssertOk();
        Assert.True(JsonDocument.Parse(stats.Stdout).RootElement.GetProperty("sessions").GetProperty("completed").GetInt64() >= 1);
        Assert.Equal(3, (await RunAsync("get", "--session-id", Guid.NewGuid().ToString())).ExitCode);

        var watch = await RunAsync("watch", "--count", "1", "--interval", "0.2");
        watch.AssertOk();
        Assert.Contains("SessionHandedOff", watch.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_from_the_command_line()
    {
        var created = await RunAsync("keys", "create", "--ttl", "600", "--label", "cli-test", "-o", "json");
        created.AssertOk();
        var key = JsonDocument.Parse(created.Stdout).RootElement;
        var token = key.GetProperty("session_key").GetString()!;
        (await CliRunner.RunAsync(Silo.BaseUrl, token, "stats")).AssertOk();

        var list = await RunAsync("keys", "list");
        list.AssertOk();
        Assert.Contains(key.GetProperty("key_id").GetString()!, list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list.Stdout, StringComparison.Ordinal);

        (await RunAsync("keys", "revoke", "--key-id", key.GetProperty("key_id").GetString()!)).AssertOk();
        Assert.Equal(4, (await CliRunner.RunAsync(Silo.BaseUrl, token, "stats")).ExitCode);
    }

    [Fact]
    public async Task Load_config_applies_once_and_a_second_run_changes_nothing()
    {
        var agent = $"cfg-{Guid.NewGuid():N}";
        var file = Path.Combine(Silo.DataDirectory, $"mesh-{agent}.yaml");
        await File.WriteAllTextAsync(file, $$"""
            # The skill's own example, plus agents and a key.
            sessions:
              - id: 123
              - filter: alive
            agents:
              - id: "{{agent}}"
                specializations: [data-analysis, reporting]
            spec: data-analysis
            agent_id: "{{agent}}-b"
            keys:
              - label: "{{agent}}-ci"
                ttl: 3600
                scopes: [operator]
            """);

        var first = await RunAsync("load-config", file);
        first.AssertOk();
        Assert.Contains($"registered agent {agent} as data-analysis", first.Stdout, StringComparison.Ordinal);
        Assert.Contains($"registered agent {agent}-b as data-analysis", first.Stdout, StringComparison.Ordinal);
        Assert.Contains($"created key '{agent}-ci'", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("sessions alive:", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("4 change(s) applied", first.Stdout, StringComparison.Ordinal);

        var second = await RunAsync("load-config", file);
        second.AssertOk();
        Assert.Contains("no changes", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("registered", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("created", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_config_names_the_line_and_applies_nothing()
    {
        var agent = $"broken-{Guid.NewGuid():N}";
        var file = Path.Combine(Silo.DataDirectory, $"{agent}.yaml");
        await File.WriteAllTextAsync(file, $$"""
            agents:
              - id: "{{agent}}"
                specializations: [data-analysis]
              - specializations: [no-id-here]
            """);

        var result = await RunAsync("load-config", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{agent}.yaml:4: agents[1]: 'id' is required.", result.Stderr, StringComparison.Ordinal);
        using var check = await Silo.Admin.GetAsync($"/api/session-mesh/agents/{agent}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, check.StatusCode);

        await File.WriteAllTextAsync(file, "agents:\n  - id: [unclosed\n");
        var syntax = await RunAsync("load-config", file);
        Assert.Equal(2, syntax.ExitCode);
        Assert.Matches($@"{agent}\.yaml:\d+: not valid YAML", syntax.Stderr);
    }
}

internal static class ResultAssertions
{
    public static void AssertOk(this CliRunner.Result result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}{result.Stdout}");
}
