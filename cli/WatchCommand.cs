using System.CommandLine;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using SessionMesh.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>
/// A live view of alive sessions and topology events until Ctrl-C. Events come from the server-sent
/// event stream (no polling); a dropped connection is resumed with Last-Event-ID, and a reset from
/// the server is shown as such. The alive-sessions table is re-read when something happened, at
/// most once per --interval.
/// </summary>
public static class WatchCommand
{
    private const int Shown = 15;

    public static Command Create()
    {
        var interval = new Option<double>("--interval") { Description = "Least seconds between redraws (events are batched in between).", DefaultValueFactory = _ => 2 };
        var count = Optional<int?>("--count", "Stop after this many redraws (default: until Ctrl-C).");
        return CommandBuilder.Create("watch", """
            Watch alive sessions and topology events live (server-sent events), until Ctrl-C.
              session-mesh watch --interval 1
            """, interval, count).Runs(async (parse, ct) =>
        {
            var every = TimeSpan.FromSeconds(Math.Max(0.2, parse.GetValue(interval)));
            var remaining = parse.GetValue(count) ?? int.MaxValue;
            using var http = Globals.Http(parse);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var events = new List<JsonElement>();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            if (Console.IsOutputRedirected)
            {
                console.Profile.Width = 200;
            }

            var incoming = Channel.CreateUnbounded<SseItem<string>>(new UnboundedChannelOptions { SingleReader = true });
            var reading = ReadStreamAsync(http, incoming.Writer, stop.Token);

            async Task<IRenderable> RenderAsync()
            {
                var alive = await http.GetAsync($"{ApiRoutes.Alive}?filter=alive&limit=20", stop.Token);
                var stalled = await http.GetAsync($"{ApiRoutes.Alive}?filter=stalled&limit=20", stop.Token);
                var sessions = Output.Rows(alive!.Value.GetProperty("sessions").EnumerateArray(),
                    ("alive session", s => Output.Field(s, "session", "id")),
                    ("agent", s => Output.Field(s, "session", "agent_name")),
                    ("phase", s => Output.Field(s, "session", "context", "current_phase")),
                    ("last heartbeat", s => Output.Age(s, "lease", "last_heartbeat")));
                var hung = Output.Rows(stalled!.Value.GetProperty("sessions").EnumerateArray(),
                    ("stalled session", s => Output.Field(s, "session", "id")),
                    ("agent", s => Output.Field(s, "session", "agent_name")),
                    ("last progress", s => Output.Age(s, "lease", "progress_at")),
                    ("last heartbeat", s => Output.Age(s, "lease", "last_heartbeat")));
                var log = Output.Rows(events,
                    ("#", e => Output.Field(e, "sequence")),
                    ("at", e => DateTimeOffset.TryParse(Output.Field(e, "event", "at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToString("HH:mm:ss", CultureInfo.InvariantCulture) : ""),
                    ("event", e => Output.Field(e, "event", "kind")),
                    ("subject", e => Output.Field(e, "event", "subject")),
                    ("detail", e => Output.Field(e, "event", "detail")));
                return new Rows(new Text($"session-mesh watch — {DateTime.Now:HH:mm:ss} (Ctrl-C to stop)"), sessions, hung, log);
            }

            // Applies one stream item; true when it changed what is shown.
            async Task<bool> ApplyAsync(SseItem<string> item)
            {
                using var data = JsonDocument.Parse(item.Data);
                var sequence = data.RootElement.GetProperty("sequence").GetInt64();
                switch (item.EventType)
                {
                    case "ready" when events.Count == 0:
                        // First connection: show the few events just before it, once, from the retained window.
                        var recent = await http.GetAsync($"{ApiRoutes.Events}?after={Math.Max(0, sequence - Shown)}", stop.Token);
                        events.AddRange(recent!.Value.EnumerateArray().Select(e => e.Clone()));
                        break;
                    case "reset":
                        events.Add(Line(sequence, "Reset", "", data.RootElement.GetProperty("reason").GetString(), DateTimeOffset.UtcNow));
                        break;
                    case "topology":
                        var e = data.RootElement;
                        events.Add(Line(sequence, e.GetProperty("kind").GetString()!, e.GetProperty("subject").GetString()!,
                            e.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null, e.GetProperty("at").GetDateTimeOffset()));
                        break;
                    default:
                        return false;
                }

                if (events.Count > Shown)
                {
                    events.RemoveRange(0, events.Count - Shown);
                }

                return true;
            }

            async Task RunAsync(Action<IRenderable> show)
            {
                var due = DateTime.MinValue;
                var dirty = false; // the first redraw waits for the stream's first answer
                while (remaining > 0)
                {
                    // Batch what arrives until the next redraw is due.
                    var wait = due - DateTime.UtcNow;
                    using (var timer = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
                    {
                        if (!dirty || wait > TimeSpan.Zero)
                        {
                            timer.CancelAfter(dirty ? wait : Timeout.InfiniteTimeSpan);
                            try
                            {
                                var item = await incoming.Reader.ReadAsync(timer.Token);
                                dirty |= await ApplyAsync(item);
                                while (incoming.Reader.TryRead(out item))
                                {
                                    dirty |= await ApplyAsync(item);
                                }

                                continue;
                            }
                            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                            {
                            }
                            catch (ChannelClosedException ex)
                            {
                                // The reader stopped: refused (report it) or cancelled (done).
                                if (ex.InnerException is CliException refused)
                                {
                                    throw refused;
                                }

                                return;
                            }
                        }
                    }

                    show(await RenderAsync());
                    remaining--;
                    dirty = false;
                    due = DateTime.UtcNow + every;
                }
            }

            try
            {
                if (Console.IsOutputRedirected)
                {
                    // Not a terminal: print each redraw in turn.
                    await RunAsync(console.Write);
                }
                else
                {
                    await console.Live(new Text("…")).StartAsync(live => RunAsync(live.UpdateTarget));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            finally
            {
                await stop.CancelAsync();
                await reading;
            }

            return ExitCodes.Ok;
        });
    }

    /// <summary>Reads the event stream into <paramref name="sink"/>, reconnecting with Last-Event-ID after a dropped connection.</summary>
    private static async Task ReadStreamAsync(MeshHttp http, ChannelWriter<SseItem<string>> sink, CancellationToken cancellationToken)
    {
        string? lastEventId = null;
        var backoff = MeshHttp.FirstBackoff;
        var failedBeforeConnecting = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.OpenEventStreamAsync(ApiRoutes.EventStream, lastEventId, cancellationToken);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    failedBeforeConnecting = -1;
                    await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
                    {
                        backoff = MeshHttp.FirstBackoff;
                        if (!string.IsNullOrEmpty(item.EventId))
                        {
                            lastEventId = item.EventId;
                        }

                        await sink.WriteAsync(item, cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
                {
                    // The connection dropped (or the silo restarts): resume where we were. A silo never
                    // reached gets the same 3 attempts as any other command.
                    if (failedBeforeConnecting >= 0 && ++failedBeforeConnecting >= MeshHttp.Attempts)
                    {
                        throw new CliException(ExitCodes.Error, $"Cannot reach the silo's event stream: {ex.Message}");
                    }
                }

                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (CliException ex)
        {
            // Refused (bad key, no scope): not worth retrying; the view reports it.
            sink.TryComplete(ex);
            return;
        }

        sink.TryComplete();
    }

    private static JsonElement Line(long sequence, string kind, string subject, string? detail, DateTimeOffset at) =>
        JsonSerializer.SerializeToElement(new { sequence, @event = new { kind, subject, detail, at } }, CliJson.Options);
}
