using System.Text;
using System.Text.Json;

namespace SessionMesh.Tests.Topology;

/// <summary>One parsed server-sent event.</summary>
public sealed record SseEvent(string Type, string? Id, JsonElement Data);

/// <summary>Reads a text/event-stream response as the SSE specification frames it (event, id, data lines, blank line).</summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseReader> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseReader(response, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>The next event (pings included), or null at the end of the stream.</summary>
    public async Task<SseEvent?> NextAsync(CancellationToken cancellationToken)
    {
        string type = "message";
        string? id = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length == 0)
                {
                    continue;
                }

                return new SseEvent(type, id, JsonDocument.Parse(data.ToString()).RootElement.Clone());
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event": type = value; break;
                case "id": id = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
                default: break;
            }
        }

        return null;
    }

    /// <summary>Reads events (skipping pings) until <paramref name="done"/> holds, within a generous bound.</summary>
    public async Task<List<SseEvent>> ReadUntilAsync(Func<List<SseEvent>, bool> done, double seconds = 20)
    {
        ArgumentNullException.ThrowIfNull(done);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var events = new List<SseEvent>();
        while (!done(events))
        {
            var next = await NextAsync(timeout.Token) ?? throw new InvalidOperationException("the stream ended");
            if (next.Type != "ping")
            {
                events.Add(next);
            }
        }

        return events;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
