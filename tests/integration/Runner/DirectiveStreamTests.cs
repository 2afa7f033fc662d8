using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Runner;

/// <summary>GET /agents/{id}/directives/stream over real HTTP: resumable by sequence, nothing lost or doubled.</summary>
[Trait("Category", "Cli")]
[Collection(HttpSiloCollection.Name)]
public sealed class DirectiveStreamTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_stream_interrupted_and_resumed_from_its_last_event_id_delivers_every_directive_exactly_once_in_order()
    {
        var agentId = $"stream-{Guid.NewGuid():N}"[..20];
        await RegisterAsync(agentId);
        await SteerAsync(agentId, 1, 5);

        var seen = new List<long>();
        using (var stream = await OpenAsync(agentId, lastEventId: null))
        {
            await ReadAsync(stream, seen, until: 5);

            // Issued while the stream is open: pushed live.
            await SteerAsync(agentId, 6, 10);
            await ReadAsync(stream, seen, until: 10);
        }

        // Issued while no stream is open: replayed on resume.
        await SteerAsync(agentId, 11, 15);
        using (var stream = await OpenAsync(agentId, lastEventId: seen[^1].ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var steering = SteerAsync(agentId, 16, 40); // concurrent with the replay→live seam
            await ReadAsync(stream, seen, until: 40);
            await steering;
        }

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task The_stream_needs_the_agents_own_key_or_an_operator()
    {
        var agentId = $"stream-{Guid.NewGuid():N}"[..20];
        await RegisterAsync(agentId);
        var other = await Silo.CreateKeyAsync("""{"ttl": 600, "scopes": ["agent"], "agent_id": "someone-else"}""");
        using var client = Silo.Client(other);
        using var refused = await client.GetAsync($"/api/session-mesh/agents/{agentId}/directives/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var unknown = await Silo.Admin.GetAsync("/api/session-mesh/agents/nobody-at-all/directives/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task RegisterAsync(string agentId)
    {
        using var response = await Silo.Admin.PostAsync("/api/session-mesh/registry", HttpSilo.Json($$"""{"specialization": "streaming", "agent_id": "{{agentId}}"}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task SteerAsync(string agentId, int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            using var response = await Silo.Admin.PostAsync("/api/session-mesh/steer", HttpSilo.Json($$"""{"agent_id": "{{agentId}}", "direction": "d{{i}}"}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private async Task<StreamReader> OpenAsync(string agentId, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/session-mesh/agents/{agentId}/directives/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await Silo.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
    }

    /// <summary>Reads directive events until the one numbered <paramref name="until"/>, checking each id matches its data.</summary>
    private static async Task ReadAsync(StreamReader stream, List<long> seen, long until)
    {
        using var bound = new CancellationTokenSource(Poll.Bound);
        string? id = null;
        string? type = null;
        string? data = null;
        while (seen.Count == 0 || seen[^1] < until)
        {
            var line = await stream.ReadLineAsync(bound.Token) ?? throw new InvalidOperationException("The stream ended.");
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
            else if (line.Length == 0)
            {
                if (type == "directive")
                {
                    var sequence = JsonDocument.Parse(data!).RootElement.GetProperty("sequence").GetInt64();
                    Assert.Equal(id, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    seen.Add(sequence);
                }

                (id, type, data) = (null, null, null);
            }
        }
    }
}
