using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>A live view of alive sessions and recent topology events, refreshed until Ctrl-C.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes.", DefaultValueFactory = _ => 2 };
        var count = Optional<int?>("--count", "Stop after this many refreshes (default: until Ctrl-C).");
        return CommandBuilder.Create("watch", """
            Watch alive sessions and recent topology events, refreshing until Ctrl-C.
              session-mesh watch --interval 1
            """, interval, count).Runs(async (parse, ct) =>
        {
            var every = TimeSpan.FromSeconds(Math.Max(0.2, parse.GetValue(interval)));
            var remaining = parse.GetValue(count) ?? int.MaxValue;
            using var http = Globals.Http(parse);
            var events = new List<JsonElement>();
            long after = 0;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            if (Console.IsOutputRedirected)
            {
                console.Profile.Width = 200;
            }

            async Task<IRenderable> RefreshAsync()
            {
                var alive = await http.GetAsync("api/session-mesh/alive?filter=alive&limit=20", ct);
                var stalled = await http.GetAsync("api/session-mesh/alive?filter=stalled&limit=20", ct);
                var fresh = await http.GetAsync($"api/session-mesh/events?after={after}", ct);
                foreach (var e in fresh!.Value.EnumerateArray())
                {
                    events.Add(e);
                    after = e.GetProperty("sequence").GetInt64();
                }

                if (events.Count > 15)
                {
                    events.RemoveRange(0, events.Count - 15);
                }

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

            try
            {
                if (Console.IsOutputRedirected)
                {
                    // Not a terminal: print each refresh in turn.
                    while (remaining-- > 0)
                    {
                        console.Write(await RefreshAsync());
                        await Task.Delay(remaining > 0 ? every : TimeSpan.Zero, ct);
                    }
                }
                else
                {
                    await console.Live(new Text("…")).StartAsync(async live =>
                    {
                        while (remaining-- > 0)
                        {
                            live.UpdateTarget(await RefreshAsync());
                            await Task.Delay(remaining > 0 ? every : TimeSpan.Zero, ct);
                        }
                    });
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
    }
}
