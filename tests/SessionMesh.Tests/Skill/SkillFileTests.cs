using System.Diagnostics;
using System.Text.RegularExpressions;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Skill;

/// <summary>skills/session-mesh/SKILL.md: every fenced sh block, run with bash against a fresh real silo, in order.</summary>
public sealed partial class SkillFileTests
{
    [Fact]
    public async Task Every_command_in_the_skill_runs_against_a_real_silo()
    {
        var skill = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "skills", "session-mesh", "SKILL.md"));
        var blocks = ShBlock().Matches(skill).Select(m => m.Groups["body"].Value).ToList();
        Assert.True(blocks.Count >= 5, "the skill has its examples");

        await using var silo = await HttpSilo.StartAsync();
        var work = Directory.CreateTempSubdirectory("sessionmesh-skill-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(work, "bin")).FullName;
        var wrapper = Path.Combine(bin, "session-mesh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "session-mesh.dll")}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // One script, the blocks in order (later ones use files and variables of earlier ones); any failing command fails it.
        var script = "set -euo pipefail\n" + string.Join("\n", blocks.Select((b, i) => $"echo '### block {i + 1}'\n{b}"));
        await File.WriteAllTextAsync(Path.Combine(work, "skill.sh"), script);
        var start = new ProcessStartInfo("bash", "skill.sh") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["SESSION_MESH_URL"] = silo.BaseUrl;
        start.Environment["SESSION_API_KEY"] = HttpSilo.AdminKey;
        using var bash = Process.Start(start)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var output = await stdout + await stderr;
        Assert.True(bash.ExitCode == 0, output);

        Assert.Contains("CodeGenAgent", output, StringComparison.Ordinal);
        Assert.Contains("ReviewAgent", output, StringComparison.Ordinal);
        Assert.Contains("reviewed: 0 issues", output, StringComparison.Ordinal);
        Assert.Contains("runner exited with 143", output, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SessionMesh.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    [GeneratedRegex(@"```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();
}
