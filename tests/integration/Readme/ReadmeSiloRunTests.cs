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

    /// <summary>
    /// The blocks that bring a local PostgreSQL cluster up and down with scripts/cluster.sh (marked
    /// <c>&lt;!-- readme-test: runs alone --&gt;</c>) run as pasted and exit 0: `up` fails unless
    /// every silo answers ready, `kill` unless it signalled one of its own silos. Their state folder
    /// is the test's; a block that fails half-way is brought down all the same.
    /// </summary>
    [Fact]
    public async Task Every_local_cluster_block_runs_as_pasted()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var blocks = RunsAloneBlock().Matches(readme).Select(m => m.Groups["body"].Value).ToList();
        Assert.Contains(blocks, b => b.Contains("scripts/cluster.sh up 3", StringComparison.Ordinal));

        foreach (var block in blocks)
        {
            // Made by cluster.sh, as its default folder is: a folder created owner-only here would keep
            // PostgreSQL (run as the postgres user when the tests run as root) out of it.
            var state = Path.Combine(Path.GetTempPath(), $"sessionmesh-readme-cluster-{Guid.NewGuid():N}");
            IReadOnlyList<KeyValuePair<string, string?>> environment = [new("SESSION_MESH_CLUSTER_DIR", state)];
            try
            {
                var run = await ChildProcess.RunAsync("bash", ["-c", "set -euo pipefail\n" + block], TimeSpan.FromMinutes(8), Repository.Root, environment);
                output.WriteLine($"--- README block ---\n{block}\n--- output (exit {run.ExitCode}) ---\n{run.Output}");
                Assert.True(run.ExitCode == 0, $"README block exited {run.ExitCode}:\n{block}\n--- output ---\n{run.Output}");
                Assert.Contains("down", run.Output, StringComparison.Ordinal);
            }
            finally
            {
                // Whatever the block got to: stop what it started (cluster.sh signals only its own processes).
                var bin = Path.Combine(Repository.Root, "scripts", "cluster.sh");
                var down = await ChildProcess.RunAsync("bash", [bin, "down"], TimeSpan.FromMinutes(2), Repository.Root, environment);
                output.WriteLine($"--- cleanup: cluster.sh down (exit {down.ExitCode}) ---\n{down.Output}");
                if (Directory.Exists(state))
                {
                    Directory.Delete(state, recursive: true);
                }
            }
        }
    }

    private async Task RunUntilReadyThenInterruptAsync(string block)
    {
        var data = Directory.CreateTempSubdirectory("sessionmesh-readme-run-").FullName;
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";

        // The block runs as a terminal would run it: in a process group of its own (so Ctrl+C reaches
        // dotnet run and the silo it started) and with Ctrl+C's default action. A runner started in
        // the background inherits SIGINT ignored, and an ignored signal stays ignored through exec, so
        // a silo under such a runner never heard it (the first fresh-clone run failed that way).
        var start = new ProcessStartInfo("python3")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp('bash', ['bash', '-c', sys.argv[1]])", block])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in Ops.SiloRun.SettingsNotInherited)
        {
            start.Environment.Remove(name);
        }

        start.Environment["SessionMesh__DataDirectory"] = data;
        start.Environment["SessionMesh__HttpUrl"] = url;
        start.Environment["SessionMesh__SiloPort"] = HttpSiloPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SessionMesh__GatewayPort"] = HttpSiloPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "false";

        // No build servers: an MSBuild node or compiler server the block's build starts would stay
        // behind after the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";

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
                Assert.True(interrupt.ExitCode == 0, $"kill -INT found no process group {process.Id}. {Log()}");
            }

            // Polled: WaitForExitAsync also waits for the end of the output, which a child left running could hold open.
            var stopping = Stopwatch.StartNew();
            while (!process.HasExited)
            {
                Assert.True(stopping.Elapsed < TimeSpan.FromMinutes(1), $"still running {stopping.Elapsed} after Ctrl+C. {Log()}");
                await Task.Delay(200);
            }

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

    [GeneratedRegex(@"^<!-- readme-test: runs alone[^\n]*-->\r?\n```sh[ \t]*\r?\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex RunsAloneBlock();
}

/// <summary>Tests that build and start whole clusters: alone, after the parallel ones, so their CPU disturbs no timing.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadmeSiloRunCollection
{
    public const string Name = "README blocks that run the silo";
}
