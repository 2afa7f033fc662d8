using System.Net;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Topology;

/// <summary>GET /events/stream over real HTTP against a real silo: framing, ids, resume, reset, auth.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class EventsStreamTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    private const string Stream = "/api/session-mesh/events/stream";

    [Fact]
    public async Task A_new_reader_gets_ready_then_each_event_with_its_sequence_as_id()
    {
        await using var sse = await SseReader.OpenAsync(Silo.Admin, Stream);
        Assert.Equal(HttpStatusCode.OK, sse.Response.StatusCode);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        var ready = (await sse.ReadUntilAsync(e => e.Count == 1))[0];
        Assert.Equal("ready", ready.Type);
        var head = long.Parse(ready.Id!, System.Globalization.CultureInfo.InvariantCulture);

        var agent = $"sse-{Guid.NewGuid():N}";
        using (var register = await Silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "sse", "agent_id": "{{agent}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        using (var steer = await Silo.Admin.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agent}}", "direction": "west"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, steer.StatusCode);
        }

        var events = await sse.ReadUntilAsync(e => e.Any(x => x.Data.GetProperty("kind").GetString() == "AgentSteered" && x.Data.GetProperty("subject").GetString() == agent));
        Assert.All(events, e => Assert.Equal("topology", e.Type));
        Assert.All(events, e => Assert.Equal(e.Id, e.Data.GetProperty("sequence").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var ids = events.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => head + i), ids);
        var steered = events.Single(x => x.Data.GetProperty("subject").GetString() == agent && x.Data.GetProperty("kind").GetString() == "AgentSteered");
        Assert.Equal("west", steered.Data.GetProperty("detail").GetString());
        Assert.Contains(events, x => x.Data.GetProperty("kind").GetString() == "AgentRegistered" && x.Data.GetProperty("subject").GetString() == agent);
    }

    [Fact]
    public async Task A_reader_that_reconnects_with_last_event_id_gets_what_it_missed_once()
    {
        string lastSeen;
        var agent = $"resume-{Guid.NewGuid():N}";
        await using (var first = await SseReader.OpenAsync(Silo.Admin, Stream))
        {
            lastSeen = (await first.ReadUntilAsync(e => e.Count == 1))[0].Id!;
        }

        // Missed while disconnected.
        using (var register = await Silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "resume", "agent_id": "{{agent}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        foreach (var direction in new[] { "north", "east" })
        {
            using var steer = await Silo.Admin.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agent}}", "direction": "{{direction}}"}"""));
            Assert.Equal(HttpStatusCode.OK, steer.StatusCode);
        }

        await using var resumed = await SseReader.OpenAsync(Silo.Admin, Stream, lastSeen);
        var events = await resumed.ReadUntilAsync(e => e.Count(x => x.Data.TryGetProperty("subject", out var s) && s.GetString() == agent) == 3);
        Assert.DoesNotContain(events, e => e.Type is "ready" or "reset");
        var mine = events.Where(x => x.Data.GetProperty("subject").GetString() == agent).ToList();
        Assert.Equal(["AgentRegistered", "AgentSteered", "AgentSteered"], mine.Select(e => e.Data.GetProperty("kind").GetString()));
        Assert.Equal(["north", "east"], mine.Skip(1).Select(e => e.Data.GetProperty("detail").GetString()));
        Assert.True(long.Parse(events[0].Id!, System.Globalization.CultureInfo.InvariantCulture) == long.Parse(lastSeen, System.Globalization.CultureInfo.InvariantCulture) + 1);
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_reader_outside_the_retained_window_is_told_to_reset()
    {
        await using var old = await SseReader.OpenAsync(Silo.Admin, Stream, "1");
        var reset = (await old.ReadUntilAsync(e => e.Count == 1))[0];
        Assert.Equal("reset", reset.Type);
        Assert.Equal(reset.Id, reset.Data.GetProperty("sequence").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(string.IsNullOrEmpty(reset.Data.GetProperty("reason").GetString()));

        await using var future = await SseReader.OpenAsync(Silo.Admin, Stream, "9000000000000000");
        Assert.Equal("reset", (await future.ReadUntilAsync(e => e.Count == 1))[0].Type);
    }

    [Fact]
    public async Task The_stream_needs_an_operator_key_and_a_numeric_last_event_id()
    {
        using (var anonymous = await RefusedAsync(Silo.Http, null))
        {
            await HttpSilo.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        }

        var agent = $"scoped-{Guid.NewGuid():N}";
        using (var register = await Silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "sse", "agent_id": "{{agent}}"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        }

        using var agentClient = Silo.Client(await Silo.CreateKeyAsync($$"""{"ttl": 600, "scopes": ["agent"], "agent_id": "{{agent}}"}"""));
        using (var agentOnly = await RefusedAsync(agentClient, null))
        {
            await HttpSilo.AssertProblemAsync(agentOnly, HttpStatusCode.Forbidden);
        }

        using var operatorClient = Silo.Client(await Silo.CreateKeyAsync());
        using (var bad = await RefusedAsync(operatorClient, "yesterday"))
        {
            var problem = await HttpSilo.AssertProblemAsync(bad, HttpStatusCode.BadRequest);
            Assert.Contains("Last-Event-ID", problem.GetRawText(), StringComparison.Ordinal);
        }

        await using var ok = await SseReader.OpenAsync(operatorClient, Stream);
        Assert.Equal(HttpStatusCode.OK, ok.Response.StatusCode);
    }

    private static async Task<HttpResponseMessage> RefusedAsync(HttpClient client, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Stream);
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await client.SendAsync(request);
    }
}
