using System.Text.Json.Nodes;

namespace SessionMesh.Tests.Http;

/// <summary>
/// The OpenAPI document a client generates its code from says what the API does: only the API's
/// routes, every problem status each operation can answer, and each query value's type, bounds and
/// default, although the silo binds them as text (so that a wrong one gets a problem naming it).
/// </summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class OpenApiTests(HttpSiloFixture fixture)
{
    private const string Api = "/api/session-mesh";

    [Fact]
    public async Task The_document_holds_only_the_api_and_every_operation_has_a_name_and_its_problems()
    {
        var document = await DocumentAsync();
        var paths = document["paths"]!.AsObject();
        Assert.All(paths, p => Assert.True(p.Key.StartsWith(Api + "/", StringComparison.Ordinal) || p.Key.StartsWith("/health/", StringComparison.Ordinal), $"{p.Key} is not part of the API"));

        foreach (var (path, operations) in paths.Where(p => p.Key.StartsWith(Api, StringComparison.Ordinal)))
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                var where = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrEmpty(operation!["operationId"]?.GetValue<string>()), $"{where} has no operationId");
                var responses = operation["responses"]!.AsObject();
                Assert.Contains(responses, r => r.Key.StartsWith('2'));
                foreach (var status in new[] { "400", "401", "403", "503", "504" })
                {
                    Assert.True(responses[status]?["content"]?["application/problem+json"] is not null, $"{where} does not document a {status} problem");
                }

                // An operation on a session, agent or key named in its path can find none.
                if (path.Contains("{sessionId}", StringComparison.Ordinal) || path.Contains("{agentId}", StringComparison.Ordinal) || path.Contains("{keyId}", StringComparison.Ordinal))
                {
                    Assert.True(responses.ContainsKey("404"), $"{where} does not document 404");
                }
            }
        }

        Assert.Equal(["201", "400", "401", "403", "409", "422", "503", "504"], Responses(document, "post", $"{Api}/sessions"));
        Assert.Contains("409", Responses(document, "post", $"{Api}/sessions/{{sessionId}}/complete"));
        Assert.Contains("409", Responses(document, "post", $"{Api}/agents/{{agentId}}/heartbeat"));
        Assert.Contains("422", Responses(document, "post", $"{Api}/sessions/{{sessionId}}/handoff"));
    }

    [Fact]
    public async Task Query_values_are_described_with_their_type_bounds_and_default()
    {
        var document = await DocumentAsync();

        var limit = Parameter(document, "get", $"{Api}/sessions", "limit");
        Assert.Equal("integer", limit["schema"]!["type"]!.GetValue<string>());
        Assert.Equal(1, limit["schema"]!["minimum"]!.GetValue<int>());
        Assert.Equal(500, limit["schema"]!["maximum"]!.GetValue<int>());
        Assert.Equal(100, limit["schema"]!["default"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(limit["description"]?.GetValue<string>()));

        var force = Parameter(document, "delete", $"{Api}/agents/{{agentId}}", "force");
        Assert.Equal("boolean", force["schema"]!["type"]!.GetValue<string>());
        Assert.False(force["schema"]!["default"]!.GetValue<bool>());
        Assert.True(Parameter(document, "delete", $"{Api}/agents/{{agentId}}", "cascade")["schema"]!["default"]!.GetValue<bool>());
        Assert.Equal("integer", Parameter(document, "get", $"{Api}/agents/{{agentId}}/directives", "after")["schema"]!["type"]!.GetValue<string>());
        Assert.Equal("string", Parameter(document, "get", $"{Api}/alive", "agent_id")["schema"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_query_value_documented_as_a_number_still_gets_a_problem_naming_it_when_it_is_not_one()
    {
        using var response = await fixture.Silo.Admin.GetAsync($"{Api}/sessions?limit=lots");
        var problem = await HttpSilo.AssertProblemAsync(response, System.Net.HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _), problem.ToString());
    }

    /// <summary>
    /// The routes the CLI addresses come from the contracts assembly; each must be one the silo
    /// serves (a typo there would be a 404 the CLI tests might not reach).
    /// </summary>
    [Fact]
    public async Task Every_route_in_the_contracts_is_one_the_silo_serves()
    {
        var document = await DocumentAsync();
        var served = document["paths"]!.AsObject().Select(p => System.Text.RegularExpressions.Regex.Replace(p.Key, @"\{[A-Za-z]+\}", "ID")).ToHashSet(StringComparer.Ordinal);
        var routes = typeof(SessionMesh.Contracts.ApiRoutes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(SessionMesh.Contracts.ApiRoutes.Prefix))
            .Select(f => (f.Name, Route: (string)f.GetRawConstantValue()!))
            .Concat(typeof(SessionMesh.Contracts.ApiRoutes).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Select(m => (m.Name, Route: (string)m.Invoke(null, ["ID"])!)))
            .ToList();
        Assert.True(routes.Count >= 25, $"only {routes.Count} routes found");
        Assert.All(routes, r => Assert.True(served.Contains("/" + r.Route), $"ApiRoutes.{r.Name} is /{r.Route}, which the silo does not serve"));
    }

    private async Task<JsonNode> DocumentAsync()
    {
        using var response = await fixture.Silo.Http.GetAsync("/openapi/v1.json");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static List<string> Responses(JsonNode document, string method, string path) =>
        [.. document["paths"]![path]![method]!["responses"]!.AsObject().Select(r => r.Key).Order(StringComparer.Ordinal)];

    private static JsonNode Parameter(JsonNode document, string method, string path, string name) =>
        document["paths"]![path]![method]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name && p["in"]!.GetValue<string>() == "query")!;
}
