using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Tests.Cli;

namespace SessionMesh.Tests.Http;

/// <summary>
/// One id alphabet for agent ids, specializations and key labels, enforced at the API, in the grains
/// and by load-config: every accepted id is addressable by path, everything else is a 400 naming the rule.
/// </summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class IdAlphabetTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private HttpSilo Silo => fixture.Silo;

    public static TheoryData<string> BadIds => new()
    {
        "a{b",
        "{0}",
        "}",
        "slash/agent",
        ".",
        "..",
        "-leading-dash",
        "with space",
        "percent%2F",
        "back\\slash",
        "q?x",
        "h#x",
        "\u202Eevil",
        "\uFEFFbom",
        "bad\uFFFF",
        "caf\u00e9",
        new string('a', 129),
        "",
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_agent_id_specialization_or_label_is_a_400_naming_the_rule_and_stores_nothing(string id)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(id);
        var before = await RegistryAsync();
        foreach (var (path, body, field) in new[]
        {
            ("/registry", $$"""{"specialization": "ok", "agent_id": {{json}}}""", "agent_id"),
            ("/registry", $$"""{"specialization": {{json}}, "agent_id": "ok-agent"}""", "specialization"),
            ("/keys", $$"""{"ttl": 60, "label": {{json}}}""", "label"),
            ("/keys", $$"""{"ttl": 60, "scopes": ["agent"], "agent_id": {{json}}}""", "agent_id"),
            ("/sessions", $$"""{"agent_name": "A", "agent_id": {{json}}}""", "agent_id"),
        })
        {
            using var response = await Silo.Admin.PostAsync(Api + path, HttpSilo.Json(body));
            var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var errors), $"{path} should name {field}: {problem}");
            Assert.Contains(id.Length == 0 ? "empty" : "A-Z a-z 0-9", errors[0].GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await RegistryAsync());
    }

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task The_grains_refuse_a_bad_id_from_a_dotnet_client_too(string id)
    {
        var grains = Silo.Services.GetRequiredService<IGrainFactory>();
        var before = await RegistryAsync();
        if (id.Length > 0)
        {
            var ex = await Record.ExceptionAsync(() => grains.GetGrain<IAgentGrain>(id).RegisterAsync("ok"));
            Assert.NotNull(ex);
            if (!id.Contains('{', StringComparison.Ordinal) && !id.Contains('}', StringComparison.Ordinal))
            {
                // (A key with braces may already fail in the storage provider when the grain activates: refused all the same.)
                Assert.Equal(Validate.AgentIdField, Assert.IsType<InvalidInputException>(ex).Field);
            }
        }

        var spec = await Assert.ThrowsAsync<InvalidInputException>(() => grains.GetGrain<IAgentGrain>("grain-ok").RegisterAsync(id));
        Assert.Equal("specialization", spec.Field);
        Assert.Equal(before, await RegistryAsync());
    }

    [Fact]
    public async Task Every_character_of_the_alphabet_makes_an_id_that_is_addressable_by_path()
    {
        var id = $"Az09._:@-{Guid.NewGuid():N}";
        var spec = $"spec.v1:{Guid.NewGuid():N}@x";
        using (var register = await Silo.Admin.PostAsync(Api + "/registry", HttpSilo.Json($$"""{"specialization": "{{spec}}", "agent_id": "{{id}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        using (var read = await Silo.Admin.GetAsync($"{Api}/agents/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var found = await Silo.Admin.GetAsync($"{Api}/registry/{spec}/agents"))
        {
            Assert.Contains(id, await found.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var heartbeat = await Silo.Admin.PostAsync($"{Api}/agents/{id}/heartbeat", HttpSilo.Json("""{"epoch": 1}""")))
        {
            Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        }

        using (var deregister = await Silo.Admin.DeleteAsync($"{Api}/registry/{spec}/agents/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, deregister.StatusCode);
        }

        using var kill = await Silo.Admin.DeleteAsync($"{Api}/agents/{id}?force=true");
        Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
    }

    [Fact]
    public async Task Load_config_refuses_an_id_outside_the_alphabet_naming_the_line_and_applies_nothing()
    {
        var agent = $"cfg-{Guid.NewGuid():N}";
        var file = Path.Combine(Silo.DataDirectory, $"{agent}.yaml");
        await File.WriteAllTextAsync(file, $$"""
            agents:
              - id: "{{agent}}"
                specializations: [data-analysis]
              - id: "a{b"
                specializations: [data-analysis]
            """);

        var result = await CliRunner.RunAsync(Silo.BaseUrl, HttpSilo.AdminKey, "load-config", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{agent}.yaml:4: agents[1].id: must be 1-128 characters", result.Stderr, StringComparison.Ordinal);
        using var check = await Silo.Admin.GetAsync($"{Api}/agents/{agent}");
        Assert.Equal(HttpStatusCode.NotFound, check.StatusCode);
    }

    private async Task<string> RegistryAsync()
    {
        using var registry = await Silo.Admin.GetAsync(Api + "/registry");
        using var stats = await Silo.Admin.GetAsync(Api + "/stats");
        // Without the event counters (kills, lost agents, expiries): other tests on this shared silo move them.
        return await registry.Content.ReadAsStringAsync() + System.Text.RegularExpressions.Regex.Replace(
            await stats.Content.ReadAsStringAsync(), "\"(agents_killed|agents_lost|sessions_expired)\":\\d+", string.Empty);
    }
}
