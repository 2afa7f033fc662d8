using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using SessionMesh.Tests.Http;
using SessionMesh.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Readme;

/// <summary>
/// The README's blocks that start the embedded silo and run until stopped (marked
/// <c>&lt;!-- readme-test: runs until stopped --&gt;</c>; the first is the README's "run SessionMesh"
/// command) run as pasted, in the repository root, as a newcomer runs them: `dotnet run` builds the
/// silo, which must come up, answer ready, and stop cleanly on Ctrl+C. Only the environment is the
/// test's: the data directory and the ports, so a silo of the reader's own (on 5280, in
/// `./.sessionmesh`) is neither disturbed nor in the way. Alone in its collection: it builds.
/// </summary>
[Trait("Category", "Process")]
[Collection(ReadmeSiloRunCollection.Name)]
public sealed partial class ReadmeSiloRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_block_that_starts_the_silo_starts_it_and_it_stops_on_ctrl_c()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var blocks = UntilStoppedBlock().Matches(readme).Select(m => m.Groups["body"].Value.Trim()).ToList();
        Assert.Contains("dotnet run --project silo", blocks);

        foreach (var block in blocks)
        {
            await RunUntilReadyThenInterruptAsync(block);
        }
    }

    private async Task RunUntilReadyThenInterruptAsync(string block)
    {
        var data = Directory.CreateTempSubdirectory("sessionmesh-readme-run-").FullName;
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";

        // setsid: the block runs in a process group of its own, so Ctrl+C reaches dotnet run and the silo it started.
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["bash", "-c", block])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "SESSION_MESH_POSTGRES", "SESSION_MESH_ADMIN_KEY", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "OTEL_EXPORTER_OTLP_ENDPOINT" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["SessionMesh__DataDirectory"] = data;
        start.Environment["SessionMesh__HttpUrl"] = url;
        start.Environment["SessionMesh__SiloPort"] = HttpSiloPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SessionMesh__GatewayPort"] = HttpSiloPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "false";

        var lines = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lines.Enqueue(line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lines.Enqueue(line); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Log() => $"README block `{block}`:\n{string.Join('\n', lines.TakeLast(60))}";

        try
        {
            // The first run builds the silo (Debug, as `dotnet run` does): minutes on a small machine.
            var up = Stopwatch.StartNew();
            while (!lines.Any(l => l.Contains("SessionMesh silo is up.", StringComparison.Ordinal)))
            {
                Assert.False(process.HasExited, $"exited {(process.HasExited ? process.ExitCode : 0)} before the silo was up. {Log()}");
                Assert.True(up.Elapsed < TimeSpan.FromMinutes(6), $"the silo was not up after {up.Elapsed}. {Log()}");
                await Task.Delay(200);
            }

            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            using (var ready = await http.GetAsync("/health/ready"))
            {
                Assert.True(ready.StatusCode == HttpStatusCode.OK, $"/health/ready answered {(int)ready.StatusCode}. {Log()}");
            }

            Assert.True(File.Exists(Path.Combine(data, "admin.key")), $"no admin key in the data directory. {Log()}");

            // Ctrl+C: the whole group, as a terminal sends it.
            using (var interrupt = Process.Start("kill", ["-INT", "--", $"-{process.Id}"]))
            {
                await interrupt.WaitForExitAsync();
            }

            using var stopping = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(stopping.Token);
            output.WriteLine(Log());
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode} after Ctrl+C. {Log()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                using var kill = Process.Start("kill", ["-KILL", "--", $"-{process.Id}"]);
                await kill.WaitForExitAsync();
            }

            Directory.Delete(data, recursive: true);
        }
    }

    [GeneratedRegex(@"^<!-- readme-test: runs until stopped[^\n]*-->\r?\n```sh[ \t]*\r?\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex UntilStoppedBlock();
}

/// <summary>Tests that build with `dotnet run`: alone, after the parallel ones, so the build's CPU disturbs no timing.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadmeSiloRunCollection
{
    public const string Name = "README blocks that run the silo";
}
