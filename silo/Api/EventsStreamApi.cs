using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Errors;
using SessionMesh.Grains.Topology;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Api;

/// <summary>One topology event as a server-sent event's data (its sequence is also the event's id).</summary>
public sealed record TopologyEventMessage(long Sequence, TopologyEventKind Kind, string Subject, string? Detail, DateTimeOffset At);

/// <summary>The data of a <c>reset</c> event: what the reader showed may be stale; reload it, then carry on from <see cref="Sequence"/>.</summary>
public sealed record TopologyResetMessage(long Sequence, string Reason);

/// <summary>
/// GET /events/stream: the topology events as server-sent events. Every event has its sequence
/// number as id; a reconnect with <c>Last-Event-ID</c> replays what was missed from the log's
/// retained window, or sends a <c>reset</c> when the reader fell out of it. Each silo reads the
/// cluster's events once (<see cref="TopologyFanOut"/>) and fans them out to its own streams.
/// </summary>
public static class EventsStreamApi
{
    /// <summary>A comment-free keep-alive (<c>ping</c>, no id) so idle connections and dead readers are noticed.</summary>
    public static readonly TimeSpan PingPeriod = TimeSpan.FromSeconds(15);

    public const string TopologyEventType = "topology";
    public const string ResetEventType = "reset";
    public const string ReadyEventType = "ready";
    public const string PingEventType = "ping";

    public static void MapEventsStreamApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events/stream", OpenAsync)
            .WithName("StreamEvents")
            .WithSummary("Topology events as server-sent events (id = sequence). Send Last-Event-ID to resume; a 'reset' event means reload.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    public static async Task<ServerSentEventsResult<object>> OpenAsync(HttpContext http, TopologyFanOut fanOut)
    {
        var lastEventId = LastEventId(http.Request.Headers["Last-Event-ID"]);
        // Subscribe before reading the window, so nothing falls between the replay and the live feed.
        var feed = await fanOut.SubscribeAsync(http.RequestAborted);
        TopologyWindow window;
        try
        {
            window = await fanOut.ReadAsync(lastEventId, TopologyLogGrain.Window, http.RequestAborted);
        }
        catch
        {
            feed.Dispose();
            throw;
        }

        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(StreamAsync(feed, window, lastEventId, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<object>> StreamAsync(
        TopologyFeed feed, TopologyWindow window, long? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var _ = feed;
        long last;
        if (lastEventId is null)
        {
            last = window.Head;
            yield return Item(ReadyEventType, new TopologyResetMessage(last, "connected"), last);
        }
        else if (window.Reset)
        {
            last = window.Head;
            yield return Item(ResetEventType, new TopologyResetMessage(last, "Last-Event-ID is not in the retained window"), last);
        }
        else
        {
            last = lastEventId.Value;
            foreach (var logged in window.Events)
            {
                last = logged.Sequence;
                yield return Event(logged.Sequence, logged.Event);
            }

            if (last < window.Head)
            {
                // More was missed than one read returns: the reader reloads instead.
                last = window.Head;
                yield return Item(ResetEventType, new TopologyResetMessage(last, "too many events missed"), last);
            }
        }

        var reader = feed.Updates;
        while (true)
        {
            TopologyUpdate update;
            using (var ping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                ping.CancelAfter(PingPeriod);
                bool ready;
                try
                {
                    ready = await reader.WaitToReadAsync(ping.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    ready = true;
                }
                catch (ChannelClosedException)
                {
                    // Fell too far behind: end the response; the reader resumes with Last-Event-ID.
                    yield break;
                }

                if (!ready)
                {
                    yield break;
                }

                if (!reader.TryRead(out update))
                {
                    yield return new SseItem<object>(new { }, PingEventType);
                    continue;
                }
            }

            if (update.Sequence <= last && update.Event is not null)
            {
                continue;
            }

            last = update.Sequence;
            yield return update.Event is { } e
                ? Event(update.Sequence, e)
                : Item(ResetEventType, new TopologyResetMessage(update.Sequence, "events were lost"), update.Sequence);
        }
    }

    private static SseItem<object> Event(long sequence, TopologyEvent e) =>
        Item(TopologyEventType, new TopologyEventMessage(sequence, e.Kind, e.Subject, e.Detail, e.At), sequence);

    private static SseItem<object> Item(string type, object data, long sequence) =>
        new(data, type) { EventId = sequence.ToString(CultureInfo.InvariantCulture) };

    private static long? LastEventId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : throw new InvalidInputException("Last-Event-ID", $"must be a sequence number from this stream (got '{(value.Length > 40 ? value[..40] + "…" : value)}').");
    }
}
