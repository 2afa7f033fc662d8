using System.Net.Http.Headers;
using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Ops;

/// <summary>What a person reads in a silo's console at the default levels (silo/appsettings.json).</summary>
[Trait("Category", "Process")]
public sealed class LogTests
{
    private const string Summary = "SessionMesh silo is up.";

    [Fact]
    public async Task The_summary_is_among_the_first_lines_with_a_timestamp_and_a_busy_silo_writes_no_line_per_request()
    {
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var run = SiloRun.Start(
        [
            $"--SessionMesh:HttpUrl={url}",
            $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
        ]);
        await using (run)
        {
            var summary = await run.WaitForLineAsync(l => l.Contains(Summary, StringComparison.Ordinal));
            // Before it only warnings may come (the generated admin key; on a starved machine Orleans'
            // own stall warnings, which are real news) — no informational chatter, no option dumps.
            var before = run.Lines.Take(summary).ToList();
            Assert.True(before.Count < 10 && before.All(l => l.Contains(" warn: ", StringComparison.Ordinal)), $"the summary is line {summary + 1}:\n{string.Join('\n', run.Lines)}");
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", run.Lines[summary]);
            Assert.Contains($"{url}/api/session-mesh", run.Lines[summary], StringComparison.Ordinal);

            var key = (await File.ReadAllTextAsync(Path.Combine(run.WorkingDirectory, ".sessionmesh", "admin.key"))).Trim();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            for (var i = 0; i < 50; i++)
            {
                using var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative));
                using var stats = await http.GetAsync(new Uri("/api/session-mesh/stats", UriKind.Relative));
                Assert.True(live.IsSuccessStatusCode && stats.IsSuccessStatusCode);
            }

            // Stopping flushes the console, so every line those requests could have caused is in.
            await run.StopAsync();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var after = run.Lines.Skip(summary + 1).ToList();
            Assert.DoesNotContain(after, l => l.Contains("/health/live", StringComparison.Ordinal) || l.Contains("/api/session-mesh/stats", StringComparison.Ordinal) || l.Contains("Request ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Json_console_logs_are_one_json_object_a_line()
    {
        var run = SiloRun.Start([.. SiloRun.Ports(), "--Logging:Console:FormatterName=json"]);
        await using (run)
        {
            var summary = await run.WaitForLineAsync(l => l.Contains(Summary, StringComparison.Ordinal));
            using var line = JsonDocument.Parse(run.Lines[summary]);
            Assert.StartsWith(Summary, line.RootElement.GetProperty("Message").GetString(), StringComparison.Ordinal);
            Assert.Equal("Information", line.RootElement.GetProperty("LogLevel").GetString());
            Assert.True(line.RootElement.TryGetProperty("Timestamp", out _));
        }
    }
}
