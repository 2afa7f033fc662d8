using System.Net;
using System.Text.Json.Nodes;

namespace SessionMesh.Tests.Http;

/// <summary>
/// Nothing is stored that cannot be read back: every typed result is checked completely at the edge,
/// each missing or out-of-range property named by its path, and a refused spawn or handoff stores nothing.
/// </summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class ResultValidationTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    private HttpSilo Silo => fixture.Silo;

    // Every result type with all its required properties, valid.
    private static readonly Dictionary<string, string> Complete = new()
    {
        ["issue_analysis"] = """{"type": "issue_analysis", "complexity": "medium", "estimated_duration": 60}""",
        ["task_decomposition"] = """{"type": "task_decomposition", "tasks": ["parse", "store"]}""",
        ["code_generation"] = """{"type": "code_generation", "confidence": 0.9, "successful_worlds": 3}""",
        ["review"] = """{"type": "review", "quality_score": 8.5, "issues_found": 0}""",
        ["generic"] = """{"type": "generic", "name": "lint", "json_payload": "{\"warnings\": 4}"}""",
    };

    /// <summary>Each result type with each of its required properties removed in turn.</summary>
    public static TheoryData<string, string> MissingProperties()
    {
        var data = new TheoryData<string, string>();
        foreach (var (type, json) in Complete)
        {
            foreach (var property in JsonNode.Parse(json)!.AsObject().Select(p => p.Key).Where(p => p != "type"))
            {
                data.Add(type, property);
            }
        }

        return data;
    }

    public static TheoryData<string, string> OutOfRange => new()
    {
        // result JSON, the path the problem must name
        { """{"type": "issue_analysis", "complexity": "high", "estimated_duration": -60}""", "context.previous_results[0].estimated_duration" },
        { """{"type": "issue_analysis", "complexity": "high", "estimated_duration": 1e308}""", "context.previous_results[0].estimated_duration" },
        { """{"type": "task_decomposition", "tasks": [null]}""", "context.previous_results[0].tasks" },
        { """{"type": "task_decomposition", "tasks": "one"}""", "context.previous_results[0].tasks" },
        { """{"type": "code_generation", "confidence": 1e308, "successful_worlds": 1}""", "context.previous_results[0].confidence" },
        { """{"type": "code_generation", "confidence": 0.5, "successful_worlds": -1}""", "context.previous_results[0].successful_worlds" },
        { """{"type": "code_generation", "confidence": 0.5, "successful_worlds": 1e12}""", "context.previous_results[0].successful_worlds" },
        { """{"type": "review", "quality_score": -1, "issues_found": 0}""", "context.previous_results[0].quality_score" },
        { """{"type": "review", "quality_score": 5, "issues_found": 2.5}""", "context.previous_results[0].issues_found" },
        { """{"type": "generic", "name": "n", "json_payload": "not json"}""", "context.previous_results[0].json_payload" },
        { """{"type": "generic", "name": "n"}""", "context.previous_results[0].json_payload" },
        { """{}""", "context.previous_results[0].type" },
        { """null""", "context.previous_results[0]" },
        { "\"text\"", "context.previous_results[0]" },
    };

    [Theory]
    [MemberData(nameof(MissingProperties))]
    public async Task A_spawn_whose_result_lacks_a_required_property_is_a_400_naming_it_and_stores_nothing(string type, string property)
    {
        var result = JsonNode.Parse(Complete[type])!.AsObject();
        result.Remove(property);
        await AssertSpawnRefusedAsync(result.ToJsonString(), $"context.previous_results[0].{property}");
    }

    [Theory]
    [MemberData(nameof(MissingProperties))]
    public async Task A_handoff_whose_result_lacks_a_required_property_is_a_400_naming_it_and_changes_nothing(string type, string property)
    {
        var result = JsonNode.Parse(Complete[type])!.AsObject();
        result.Remove(property);
        await AssertHandoffRefusedAsync(result.ToJsonString(), $"context.previous_results[0].{property}");
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task Out_of_range_or_null_results_are_refused_by_spawn_and_handoff_naming_the_path(string result, string path)
    {
        await AssertSpawnRefusedAsync(result, path);
        await AssertHandoffRefusedAsync(result, path);
    }

    [Fact]
    public async Task Every_problem_of_every_result_is_named_at_once()
    {
        var body = """{"agent_name": "A", "context": {"previous_results": [{"type": "issue_analysis"}, {"type": "review", "quality_score": 1e308}]}}""";
        using var response = await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json(body));
        var errors = (await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors");
        foreach (var path in new[] { "[0].complexity", "[0].estimated_duration", "[1].quality_score", "[1].issues_found" })
        {
            Assert.True(errors.TryGetProperty("context.previous_results" + path, out _), $"{path} should be named: {errors}");
        }
    }

    [Fact]
    public async Task Complete_results_of_every_type_are_stored_and_read_back_in_every_listing()
    {
        var id = Guid.NewGuid();
        var body = $$"""{"session_id": "{{id}}", "agent_name": "AllResults", "context": {"previous_results": [""" + string.Join(", ", Complete.Values) + "]}}";
        using (var spawn = await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json(body)))
        {
            Assert.Equal(HttpStatusCode.Created, spawn.StatusCode);
        }

        using var read = await Silo.Admin.GetAsync($"{Api}/sessions/{id}");
        var session = await HttpSilo.ReadAsync(read);
        Assert.Equal(Complete.Count, session.GetProperty("context").GetProperty("previous_results").GetArrayLength());
        using var page = await Silo.Admin.GetAsync(Api + "/sessions?status=all&limit=500");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(id.ToString(), await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var alive = await Silo.Admin.GetAsync(Api + "/alive?filter=all&limit=500");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        _ = await HttpSilo.ReadAsync(alive); // a whole JSON document, not one cut off
    }

    private async Task AssertSpawnRefusedAsync(string result, string path)
    {
        var id = Guid.NewGuid();
        var before = await ListingAsync();
        var body = $$"""{"session_id": "{{id}}", "agent_name": "Poison", "context": {"previous_results": [""" + result + "]}}";
        using (var response = await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json(body)))
        {
            var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"the problem should name '{path}': {problem}");
        }

        using (var read = await Silo.Admin.GetAsync($"{Api}/sessions/{id}"))
        {
            await HttpSilo.AssertProblemAsync(read, HttpStatusCode.NotFound);
        }

        Assert.Equal(before, await ListingAsync());
    }

    private async Task AssertHandoffRefusedAsync(string result, string path)
    {
        var parent = Guid.NewGuid();
        using (var spawn = await Silo.Admin.PostAsync(Api + "/sessions", HttpSilo.Json($$"""{"session_id": "{{parent}}", "agent_name": "Parent"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, spawn.StatusCode);
        }

        var before = await ListingAsync();
        using var parentBefore = await Silo.Admin.GetAsync($"{Api}/sessions/{parent}");
        var parentText = await parentBefore.Content.ReadAsStringAsync();
        var body = """{"to_agent": "Next", "context": {"previous_results": [""" + result + "]}}";
        using (var response = await Silo.Admin.PostAsync($"{Api}/sessions/{parent}/handoff", HttpSilo.Json(body)))
        {
            var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"the problem should name '{path}': {problem}");
        }

        using var parentAfter = await Silo.Admin.GetAsync($"{Api}/sessions/{parent}");
        Assert.Equal(parentText, await parentAfter.Content.ReadAsStringAsync());
        Assert.Equal(before, await ListingAsync());
    }

    /// <summary>The stats and the newest page of sessions: what a refused request must leave as it was.</summary>
    private async Task<string> ListingAsync()
    {
        using var stats = await Silo.Admin.GetAsync(Api + "/stats");
        using var page = await Silo.Admin.GetAsync(Api + "/sessions?status=all&limit=20");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await stats.Content.ReadAsStringAsync() + " | " + await page.Content.ReadAsStringAsync();
    }
}
