using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SessionMesh.Contracts;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli.Run;

/// <summary>`session-mesh logs`: a session's captured output.</summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var session = Required("--session-id", "The session.");
        var tail = new Option<int>("--tail") { Description = "How many of the last lines (1-10000).", DefaultValueFactory = _ => 100 };
        var follow = Optional<bool>("--follow", "Keep printing new lines until the session ends (or Ctrl-C).");
        return CommandBuilder.Create("logs", """
            Print a session's output as its runner captured it (time, stream, text).
              session-mesh logs --session-id 5f0c… --tail 50
              session-mesh logs --session-id 5f0c… --follow
            """, session, tail, follow).Runs(async (parse, ct) =>
        {
            var id = Uri.EscapeDataString(parse.GetValue(session)!);
            var count = parse.GetValue(tail).ToString(CultureInfo.InvariantCulture);
            var output = Globals.Out(parse);
            using var http = Globals.Http(parse);
            if (!parse.GetValue(follow))
            {
                var page = await http.GetAsync($"{ApiRoutes.Logs(id.ToString())}?tail={count}", ct);
                if (output.Json)
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(page, CliJson.Pretty));
                    return ExitCodes.Ok;
                }

                foreach (var line in CliJson.Read<LogLines>(page)!.Lines)
                {
                    Print(line);
                }

                return ExitCodes.Ok;
            }

            // Read once through the retrying client (404 and auth errors surface as usual), then follow.
            await http.GetAsync(ApiRoutes.Session(id.ToString()), ct);
            using var api = new RunnerApi(RunCommand.BaseUrl(parse)) { Key = parse.GetValue(Globals.ApiKey) ?? Environment.GetEnvironmentVariable("SESSION_API_KEY") };
            using var response = await api.OpenStreamAsync($"{ApiRoutes.Logs(id.ToString())}?follow=true&tail={count}", null, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(ExitCodes.Error, $"Following the log failed: HTTP {(int)response.StatusCode}.");
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await foreach (var e in SseReader.ReadAsync(body, ct))
            {
                if (e.Type == "line")
                {
                    if (output.Json)
                    {
                        Console.Out.WriteLine(e.Data);
                    }
                    else
                    {
                        Print(CliJson.Read<LogLineResponse>(e.Data)!);
                    }
                }
                else if (e.Type == "end")
                {
                    break;
                }
            }

            return ExitCodes.Ok;
        });
    }

    private static void Print(LogLineResponse line) =>
        Console.Out.WriteLine($"{line.At.ToUniversalTime():HH:mm:ss.fff} {line.Stream,-6} {line.Text}");
}
