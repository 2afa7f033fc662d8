using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Directives pushed to an agent process as server-sent events: each event's id is the directive's
/// sequence, so a client resumes with <c>Last-Event-ID</c> (or <c>?after=N</c>) and gets exactly the
/// directives after it, once each, in order.
/// </summary>
public static class DirectivesStreamApi
{
    /// <summary>How often an idle stream sends a keep-alive event (proxies and clients drop silent connections).</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    private const int ReplayPage = 100;

    /// <summary>Queued by <see cref="AgentKillSignals"/> when the agent is killed.</summary>
    private static readonly Directive KilledSignal = new(-1, DirectiveKind.Kill, "killed", null, default);

    public static void MapDirectivesStreamApi(this RouteGroupBuilder api)
    {
        api.MapGet("/agents/{agentId}/directives/stream", OpenAsync)
            .RequireAccess(Access.Own)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("StreamDirectives")
            .WithSummary("Server-sent events of the agent's directives after ?after=N or Last-Event-ID (event id = sequence), then each new one as it is issued; 'keepalive' events while idle.");
    }

    public static async Task<ServerSentEventsResult<string>> OpenAsync(HttpContext http, IGrainFactory grains, string agentId, [AsParameters] AfterQuery query)
    {
        http.DemandAgent(agentId);
        var agent = grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId));
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        var since = ApiInput.WholeNumber(lastEventId.Length > 0 ? "Last-Event-ID" : "after", lastEventId.Length > 0 ? lastEventId : query.After, 0);
        await agent.GetAsync(http.RequestAborted); // 404 for an unknown agent, before the stream starts
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var signals = http.RequestServices.GetRequiredService<AgentKillSignals>();
        return TypedResults.ServerSentEvents(StreamAsync(grains, signals, agent, since, json, http.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        IGrainFactory grains, AgentKillSignals signals, IAgentGrain agent, long after, JsonSerializerOptions json, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pushed = Channel.CreateUnbounded<Directive>(new UnboundedChannelOptions { SingleReader = true });
        using var killWatch = await signals.WatchAsync(agent.GetPrimaryKeyString(), () => pushed.Writer.TryWrite(KilledSignal), cancellationToken);

        // Subscribe before replaying: a directive issued in between is then both pushed and
        // replayed, and the sequence check below drops the second copy. Nothing falls in a gap.
        await using var subscription = await ObserverStream<IAgentObserver>.SubscribeAsync(
            grains, new DirectiveRelay(pushed.Writer), agent.SubscribeAsync, agent.UnsubscribeAsync, cancellationToken);
        var last = after;
        await foreach (var directive in ReplayAsync(agent, last, cancellationToken))
        {
            last = directive.Sequence;
            yield return Event(directive, json);
        }

        if (await agent.GetAsync(cancellationToken) is { Status: AgentStatus.Killed } killed)
        {
            // Killed before the watch began: no signal will come, so say it now.
            yield return new SseItem<string>(JsonSerializer.Serialize(Wire.Agent(killed), json), "killed");
            yield break;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await subscription.RenewIfDueAsync(cancellationToken);
            var next = await pushed.Reader.ReadOrTimeoutAsync(KeepAlive, cancellationToken);
            if (next is null)
            {
                yield return new SseItem<string>(string.Empty, "keepalive");
                continue;
            }

            if (ReferenceEquals(next, KilledSignal))
            {
                // A forced kill (or a graceful one made final): say so once, then end the stream.
                var snapshot = await agent.GetAsync(cancellationToken);
                yield return new SseItem<string>(JsonSerializer.Serialize(Wire.Agent(snapshot), json), "killed");
                yield break;
            }

            if (next.Sequence <= last)
            {
                continue; // already sent by the replay
            }

            if (next.Sequence > last + 1)
            {
                // A push went missing (e.g. the grain moved silos): fill the gap from storage.
                await foreach (var missed in ReplayAsync(agent, last, cancellationToken))
                {
                    last = missed.Sequence;
                    yield return Event(missed, json);
                }

                continue;
            }

            last = next.Sequence;
            yield return Event(next, json);
        }
    }

    private static async IAsyncEnumerable<Directive> ReplayAsync(IAgentGrain agent, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await agent.GetDirectivesAsync(after, ReplayPage, cancellationToken);
            foreach (var directive in page)
            {
                after = directive.Sequence;
                yield return directive;
            }

            if (page.Count < ReplayPage)
            {
                yield break;
            }
        }
    }

    private static SseItem<string> Event(Directive directive, JsonSerializerOptions json) =>
        new(JsonSerializer.Serialize(Wire.Directive(directive), json), directive.Kind == DirectiveKind.Kill ? "kill" : "directive")
        {
            EventId = directive.Sequence.ToString(CultureInfo.InvariantCulture),
        };

    /// <summary>The observer the agent grain pushes to; it only queues, so the grain never waits on the HTTP client.</summary>
    private sealed class DirectiveRelay(ChannelWriter<Directive> writer) : IAgentObserver
    {
        public Task OnDirectiveAsync(Directive directive)
        {
            writer.TryWrite(directive);
            return Task.CompletedTask;
        }
    }
}
