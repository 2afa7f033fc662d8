using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Http;

/// <summary>
/// Thousands of malformed requests across every route of the silo's own OpenAPI document: bad JSON,
/// wrong types, missing and extra fields, huge numbers, odd ids, odd headers, bad keys. None may be
/// a 5xx, and every rejected request leaves stats, sessions, registry and keys exactly as they were.
/// Seeded (SESSIONMESH_FUZZ_SEED repeats a run); the seed is in every failure message.
/// </summary>
[Trait("Category", "Http")]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Requests = 2000;

    // A bound on wall time as well, so a loaded CI machine still finishes well under a minute.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    private static readonly string[] OddIds =
    [
        "a{b", "{0}", "}", "..", ".", "%2F", "slash%2Fagent", "%00", "%E2%80%AE", "%EF%BB%BF", "%EF%BF%BF", "%20", "a%20b", "-x",
        new string('z', 300), "%7B%7D", "null", "0", "-1", "smk_", "%C3%A9", "%FF", "'%22",
    ];

    private static readonly string[] OddNumbers = ["-1", "0", "-0", "1e308", "-1e308", "1e999", "9223372036854775808", "0.5e-400", "\"5\"", "null", "true", "[]", "{}", "NaN", "-Infinity", "3.4028235e38"];

    private static readonly string[] OddStrings = ["\"\"", "\" \"", "\"a{b}\"", "\"\\u0000\"", "\"\\u202Eevil\"", "\"\\uFEFF\"", "\"\\uFFFF\"", "\"\\ud800\"", $"\"{new string('x', 5000)}\"", "42", "null", "[\"x\"]", "{\"a\":1}", "\"../..\""];

    [Fact]
    public async Task Malformed_requests_on_every_route_are_never_a_5xx_and_a_rejected_one_changes_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SESSIONMESH_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : Random.Shared.Next();
        output.WriteLine($"fuzz seed {seed} (SESSIONMESH_FUZZ_SEED={seed} repeats this run)");
        var random = new Random(seed);
        await using var silo = await HttpSilo.StartAsync();
        using var badKeys = silo.From("127.0.0.2"); // bad keys come from another address, so their throttling never touches the admin client

        // Known records for routes to hit. The agent is killed first: nothing the fuzz sends can start
        // a lease or a grace period whose timer would change the state by itself mid-run.
        var agent = "fuzz-agent";
        using (await silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "fuzzing", "agent_id": "{{agent}}"}"""))) { }
        using (await silo.Admin.DeleteAsync($"/api/session-mesh/agents/{agent}?force=true")) { }
        var sessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var spawn = await silo.Admin.PostAsync("/api/session-mesh/sessions", HttpSilo.Json("""{"agent_name": "FuzzTarget"}"""));
            sessions.Add((await HttpSilo.ReadAsync(spawn)).GetProperty("id").GetString()!);
        }

        using var keysResponse = await silo.Admin.GetAsync("/api/session-mesh/keys");
        var document = await LoadOpenApiAsync(silo);
        var routes = Routes(document).ToList();
        Assert.True(routes.Count >= 15, $"the OpenAPI document lists {routes.Count} operations");

        var state = await SnapshotAsync(silo);
        var statuses = new Dictionary<int, int>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var n = 0; n < Requests && started.Elapsed < Budget; n++)
        {
            var (method, template, body) = routes[random.Next(routes.Count)];
            var path = FillPath(template, random, agent, sessions);
            // A valid heartbeat would start a lease, a valid key one that expires: their bodies never parse.
            var mustBeInvalid = method == "POST" && (template.EndsWith("/heartbeat", StringComparison.Ordinal) || template.EndsWith("/keys", StringComparison.Ordinal));
            using var request = new HttpRequestMessage(new HttpMethod(method), path + Query(random));
            if (body is not null || mustBeInvalid || random.Next(8) == 0)
            {
                request.Content = Body(random, body, document, mustBeInvalid);
            }

            var client = Headers(random, request) ? badKeys : silo.Http;
            if (request.Headers.Authorization is null && !request.Headers.Contains("Authorization") && client == silo.Http)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
            }

            var description = $"seed {seed}, request {n}: {method} {request.RequestUri} {(request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync())}";
            // Headers only: a request the streaming routes accept (server-sent events) never ends by itself.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                // Read only here: the body of an accepted stream never ends.
                Assert.Fail($"{description} → {status}: {await response.Content.ReadAsStringAsync()}");
            }

            // An accepted heartbeat or key would change the state later, by itself (a lease or a key running out).
            Assert.False(mustBeInvalid && status < 400, $"{description} → {status}: the fuzz sent a valid request where it meant an invalid one");
            var after = await SnapshotAsync(silo);
            if (status >= 400)
            {
                Assert.True(state == after, $"{description} → {status} changed the stored state:\n{Difference(state, after)}");
            }

            state = after;
        }

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.Values.Sum() >= 300, $"seed {seed}: only {statuses.Values.Sum()} requests in {Budget}");
        Assert.True(statuses.Where(s => s.Key >= 400).Sum(s => s.Value) > statuses.Values.Sum() / 2, $"seed {seed}: most requests should be rejected");
    }

    private static async Task<JsonNode> LoadOpenApiAsync(HttpSilo silo)
    {
        using var response = await silo.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Every operation under the API: method, path template, and its request body schema (if any).</summary>
    private static IEnumerable<(string Method, string Template, JsonNode? Body)> Routes(JsonNode document)
    {
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            if (!template.StartsWith("/api/session-mesh", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "delete" or "patch")
                {
                    yield return (method.ToUpperInvariant(), template, operation?["requestBody"]?["content"]?.AsObject().FirstOrDefault().Value?["schema"]);
                }
            }
        }
    }

    private static string FillPath(string template, Random random, string agent, List<string> sessions) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\{(?<name>[A-Za-z]+)\}", match =>
        {
            var name = match.Groups["name"].Value;
            return random.Next(3) switch
            {
                0 => OddIds[random.Next(OddIds.Length)],
                1 => name.Contains("session", StringComparison.OrdinalIgnoreCase) ? sessions[random.Next(sessions.Count)] : name.Contains("agent", StringComparison.OrdinalIgnoreCase) ? agent : "fuzzing",
                _ => random.Next(2) == 0 ? Guid.NewGuid().ToString() : Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())),
            };
        });

    private static string Query(Random random)
    {
        if (random.Next(2) == 0)
        {
            return string.Empty;
        }

        string[] names = ["filter", "status", "limit", "cursor", "after", "force", "cascade", "grace", "agent_id", "specialization", "x"];
        string[] values = ["-1", "0", "501", "99999999999999999999", "zombie", "all", "%00", "%FF", "maybe", "true", "NaN", "1e308", "a{b", "..", "%E2%80%AE", new string('c', 2000)];
        return "?" + string.Join('&', Enumerable.Range(0, random.Next(1, 4)).Select(_ => $"{names[random.Next(names.Length)]}={values[random.Next(values.Length)]}"));
    }

    private static ByteArrayContent Body(Random random, JsonNode? schema, JsonNode document, bool mustBeInvalid)
    {
        var properties = Properties(schema, document);
        // Kinds 0–2 never parse as an object; the others may make a valid request (unknown fields are ignored).
        var kind = random.Next(mustBeInvalid ? 3 : 9);
        var text = kind switch
        {
            0 => "{\"agent_name\": \"A\", \"purpose\": ",
            1 => "not json at all",
            2 => "[1, 2, 3]",
            3 => "{" + string.Join(", ", properties.Select(p => $"\"{p}\": {OddStrings[random.Next(OddStrings.Length)]}")) + "}",
            4 => "{" + string.Join(", ", properties.Select(p => $"\"{p}\": {OddNumbers[random.Next(OddNumbers.Length)]}")) + "}",
            5 => "{\"context\": {\"previous_results\": [" + string.Join(", ", Enumerable.Range(0, random.Next(1, 3)).Select(_ => BadResult(random))) + "]}, \"to_agent\": \"B\", \"agent_name\": \"B\"}",
            6 => "{}",
            7 => "{" + string.Join(", ", properties.Where(_ => random.Next(2) == 0).Select(p => $"\"{p}\": \"x\"")) + ", \"extra\": [1, {\"deep\": [[[]]]}]}",
            _ => "{\"agent_name\": \"Fuzzed\", \"purpose\": \"p\", \"context\": {\"current_phase\": \"Review\", \"previous_results\": []}, \"to_agent\": \"Next\", \"error\": \"boom\", \"direction\": \"north\", \"epoch\": 1, \"sequence\": 0}",
        };
        string[] types = ["application/json", "application/json", "application/json", "text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "application/xml", "application/merge-patch+json"];
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", types[random.Next(types.Length)]);
        return content;
    }

    private static string BadResult(Random random)
    {
        string[] results =
        [
            "{}", "null", "{\"type\": \"issue_analysis\"}", "{\"type\": \"issue_analysis\", \"complexity\": \"x\", \"estimated_duration\": -5}",
            "{\"type\": \"task_decomposition\", \"tasks\": [null]}", "{\"type\": \"code_generation\", \"confidence\": 1e308, \"successful_worlds\": -1}",
            "{\"type\": \"review\", \"quality_score\": \"high\"}", "{\"type\": \"generic\", \"name\": \"n\"}", "{\"type\": \"horoscope\"}", "{\"type\": 7}",
        ];
        return results[random.Next(results.Length)];
    }

    private static List<string> Properties(JsonNode? schema, JsonNode document)
    {
        for (var depth = 0; schema?["$ref"] is { } reference && depth < 4; depth++)
        {
            schema = document["components"]?["schemas"]?[reference.GetValue<string>().Split('/')[^1]];
        }

        return schema?["properties"]?.AsObject().Select(p => p.Key).ToList() ?? ["agent_name", "agent_id", "ttl"];
    }

    /// <summary>Sets odd headers; true when the request should go from the bad-key address.</summary>
    private static bool Headers(Random random, HttpRequestMessage request)
    {
        switch (random.Next(10))
        {
            case 0:
                return true; // no key at all
            case 1:
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer smk_{Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))}_{new string('s', 43)}");
                return true;
            case 2:
                request.Headers.TryAddWithoutValidation("Authorization", random.Next(2) == 0 ? "Basic YWRtaW46YWRtaW4=" : "Bearer ");
                return true;
            case 3:
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");
                request.Headers.TryAddWithoutValidation("Accept", "text/html, */*;q=0.1");
                request.Headers.TryAddWithoutValidation("Accept-Charset", "utf-16");
                return false;
            case 4:
                request.Headers.TryAddWithoutValidation("If-None-Match", "\"x\"");
                request.Headers.TryAddWithoutValidation("X-Odd", new string('h', 4000));
                return false;
            default:
                return false;
        }
    }

    /// <summary>The parts of two snapshots that differ, before and after.</summary>
    private static string Difference(string before, string after) =>
        string.Join('\n', before.Split(" | ").Zip(after.Split(" | ")).Where(p => p.First != p.Second).Select(p => $"before: {p.First}\nafter:  {p.Second}"));

    /// <summary>What a rejected request must not change: stats, the newest sessions, the registry, the keys.</summary>
    private static async Task<string> SnapshotAsync(HttpSilo silo)
    {
        var parts = new List<string>();
        foreach (var path in new[] { "/stats", "/sessions?status=all&limit=50", "/registry", "/keys" })
        {
            using var response = await silo.Admin.GetAsync("/api/session-mesh" + path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            parts.Add(await response.Content.ReadAsStringAsync());
        }

        return string.Join(" | ", parts);
    }
}
