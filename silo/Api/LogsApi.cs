using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SessionMesh.Logs;
using SessionMesh.Sessions;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>A session's output: appended in batches by its runner, read as a tail or followed live.</summary>
public static class LogsApi
{
    private const int ReplayPage = MeshLimits.MaxPage;

    public static void MapLogsApi(this RouteGroupBuilder api)
    {
        var logs = api.MapGroup("/sessions/{sessionId}/logs").RequireAccess(Access.Own);

        logs.MapPost("/", AppendAsync)
            .WithRequestBody<LogAppendRequest>()
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("AppendSessionLog")
            .WithSummary("Appends a batch of output lines {\"lines\": [{\"text\", \"stream\"?: stdout|stderr|runner, \"at\"?}]} (at most 1000). Each session keeps its newest 1 MiB.");

        logs.MapGet("/", ReadAsync)
            .Produces<LogLines>()
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithWireFieldNames(("count", "tail"))
            .WithName("ReadSessionLog")
            .WithSummary("The last ?tail=N lines (default 100), or the lines after ?after=N; with ?follow=true, server-sent events of them and then of each new line (event id = line sequence) until the session ends.");
    }

    public static async Task<Ok<LogAppended>> AppendAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var session = await SessionsApi.ReadOwnAsync(http, grains, sessionId);
        var body = await JsonBody.ReadAsync<LogAppendRequest>(http);
        var check = new RequestCheck();
        var lines = check.Required("lines", body.Lines);
        check.ThrowIfAny();
        var entries = lines.Select(l => new LogEntry(l.At ?? default, l.Stream ?? "stdout", l.Text ?? string.Empty)).ToList();
        var last = await grains.GetGrain<ISessionLogGrain>(session.Id).AppendAsync(entries, http.RequestAborted);
        return TypedResults.Ok(new LogAppended(last));
    }

    /// <summary>Lines as JSON, or (?follow=true) a stream of server-sent events: two result types, so <see cref="IResult"/>.</summary>
    public static async Task<IResult> ReadAsync(HttpContext http, IGrainFactory grains, string sessionId, [AsParameters] LogsQuery query)
    {
        var session = await SessionsApi.ReadOwnAsync(http, grains, sessionId);
        var log = grains.GetGrain<ISessionLogGrain>(session.Id);
        var count = (int)ApiInput.WholeNumber("tail", query.Tail, 100);
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        long? since = lastEventId.Length > 0 ? ApiInput.WholeNumber("Last-Event-ID", lastEventId, 0)
            : query.After is null ? null : ApiInput.WholeNumber("after", query.After, 0);
        if (!ApiInput.Flag("follow", query.Follow, false))
        {
            var lines = since is { } mark ? await log.ReadAfterAsync(mark, Math.Clamp(count, 1, 10_000), http.RequestAborted) : await log.TailAsync(count, http.RequestAborted);
            return TypedResults.Ok(new LogLines(session.Id, [.. lines.Select(Wire.LogLine)]));
        }

        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return TypedResults.ServerSentEvents(FollowAsync(grains, session.Id, since, count, json, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> FollowAsync(
        IGrainFactory grains, Guid sessionId, long? after, int tail, JsonSerializerOptions json, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var log = grains.GetGrain<ISessionLogGrain>(sessionId);
        var session = grains.GetGrain<ISessionGrain>(sessionId);
        var pushed = Channel.CreateUnbounded<IReadOnlyList<LogLine>>(new UnboundedChannelOptions { SingleReader = true });

        // Subscribe first, then catch up: lines appended in between arrive twice and the
        // sequence check drops the second copy.
        await using var subscription = await ObserverStream<ISessionLogObserver>.SubscribeAsync(
            grains, new LineRelay(pushed.Writer), log.SubscribeAsync, log.UnsubscribeAsync, cancellationToken);
        var catchUp = after is { } mark ? await log.ReadAfterAsync(mark, ReplayPage, cancellationToken) : await log.TailAsync(Math.Clamp(tail, 1, 10_000), cancellationToken);
        var last = after ?? 0;
        while (true)
        {
            foreach (var line in catchUp)
            {
                last = line.Sequence;
                yield return Event(line, json);
            }

            if (catchUp.Count < ReplayPage || after is null)
            {
                break;
            }

            catchUp = await log.ReadAfterAsync(last, ReplayPage, cancellationToken);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await subscription.RenewIfDueAsync(cancellationToken);
            var batch = await pushed.Reader.ReadOrTimeoutAsync(TimeSpan.FromSeconds(2), cancellationToken);
            if (batch is null)
            {
                // Idle: once the session has ended and nothing more came, the log is complete.
                var snapshot = await session.GetAsync(cancellationToken);
                if (snapshot.Status != SessionStatus.Active)
                {
                    foreach (var line in await log.ReadAfterAsync(last, ReplayPage, cancellationToken))
                    {
                        last = line.Sequence;
                        yield return Event(line, json);
                    }

                    yield return new SseItem<string>(JsonSerializer.Serialize(Wire.Session(snapshot), json), "end");
                    yield break;
                }

                yield return new SseItem<string>(string.Empty, "keepalive");
                continue;
            }

            if (batch.Count > 0 && batch[0].Sequence > last + 1)
            {
                // A push went missing: read the gap from the store.
                foreach (var line in await log.ReadAfterAsync(last, ReplayPage, cancellationToken))
                {
                    last = line.Sequence;
                    yield return Event(line, json);
                }
            }

            foreach (var line in batch.Where(l => l.Sequence > last))
            {
                last = line.Sequence;
                yield return Event(line, json);
            }
        }
    }

    private static SseItem<string> Event(LogLine line, JsonSerializerOptions json) =>
        new(JsonSerializer.Serialize(Wire.LogLine(line), json), "line") { EventId = line.Sequence.ToString(CultureInfo.InvariantCulture) };

    private sealed class LineRelay(ChannelWriter<IReadOnlyList<LogLine>> writer) : ISessionLogObserver
    {
        public Task OnLinesAsync(IReadOnlyList<LogLine> lines)
        {
            writer.TryWrite(lines);
            return Task.CompletedTask;
        }
    }
}
