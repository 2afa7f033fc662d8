using System.Text.RegularExpressions;
using SessionMesh.Tests.Http;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Tests.Ops;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Readme;

/// <summary>
/// Every ```sh block of README.md either runs, exactly as written, against the silo built from this
/// repository (started as the README starts it, in a folder of its own, so `.sessionmesh/admin.key`
/// is where the blocks read it), or is marked just above it with
/// <c>&lt;!-- readme-test: not run — reason --&gt;</c> saying why a test cannot run it (it starts
/// the tests themselves or a cluster left running, needs Docker or Kubernetes, or lists commands with
/// placeholders), or is a block that starts the silo or a local cluster (<c>runs until stopped</c>,
/// <c>runs alone</c>: ReadmeSiloRunTests).
/// The only change made to a block is the silo's port: 5280 becomes the port this test's silo has.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class ReadmeShellTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_shell_block_in_the_README_runs_as_pasted_or_says_why_not()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var blocks = ShBlock().Matches(readme).ToList();
        var run = blocks.Where(b => !b.Groups["skip"].Success).Select(b => b.Groups["body"].Value).ToList();
        Assert.All(blocks.Where(b => b.Groups["skip"].Success), b => Assert.False(string.IsNullOrWhiteSpace(b.Groups["skip"].Value), $"a block marked not run says why:\n{b.Value}"));
        Assert.True(run.Count >= 4, $"expected the README's runnable shell blocks, found {run.Count}");

        var port = HttpSiloPorts.Free();
        var url = $"http://127.0.0.1:{port}";
        await using var silo = SiloRun.Start(
        [
            $"--SessionMesh:HttpUrl={url}",
            $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
        ]);
        await silo.WaitForLineAsync(l => l.Contains("SessionMesh silo is up.", StringComparison.Ordinal), TimeSpan.FromMinutes(3));

        var bin = await Cli.CliRunner.InstallCommandAsync(silo.WorkingDirectory);

        for (var i = 0; i < run.Count; i++)
        {
            // Each block on its own, as a reader pastes it into a shell where the README's earlier
            // exports (the key, the URL) were made.
            var script = "set -euo pipefail\n" + run[i].Replace("127.0.0.1:5280", $"127.0.0.1:{port}", StringComparison.Ordinal);
            var result = await ChildProcess.RunAsync("bash", ["-c", script], TimeSpan.FromMinutes(3), silo.WorkingDirectory,
            [
                new("PATH", bin + ":" + Environment.GetEnvironmentVariable("PATH")),
                new("SESSION_MESH_URL", url),
                new("SESSION_API_KEY", (await File.ReadAllTextAsync(Path.Combine(silo.WorkingDirectory, ".sessionmesh", "admin.key"))).Trim()),
            ]);
            output.WriteLine($"--- README shell block {i + 1} (exit {result.ExitCode}) ---\n{run[i]}\n--- output ---\n{result.Output}");
            Assert.True(result.ExitCode == 0, $"README shell block {i + 1} exited {result.ExitCode}:\n{run[i]}\n--- output ---\n{result.Output}");

            // curl exits 0 on any HTTP answer: an answer that is a problem (4xx/5xx) fails the block too.
            Assert.DoesNotMatch(ProblemStatus(), result.Output);
        }
    }

    // Blocks marked "runs until stopped" (the silo) or "runs alone" (a local cluster): ReadmeSiloRunTests runs them.
    [GeneratedRegex(@"(?:^<!-- readme-test: (?:not run — (?<skip>[^\n]*?)|(?<skip>runs (?:until stopped|alone)[^\n]*?)) -->\r?\n)?^```sh[ \t]*\r?\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex ShBlock();

    [GeneratedRegex(@"""status"":\s*[45]\d\d")]
    private static partial Regex ProblemStatus();
}
