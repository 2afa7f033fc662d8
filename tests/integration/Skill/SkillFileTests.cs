using System.Text.RegularExpressions;
using SessionMesh.Tests.Http;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Skill;

/// <summary>skills/session-mesh/SKILL.md: every fenced sh block, run with bash against a fresh real silo, in order.</summary>
[Trait("Category", "Cli")]
public sealed partial class SkillFileTests
{
    [Fact]
    public async Task Every_command_in_the_skill_runs_against_a_real_silo()
    {
        var skill = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "skills", "session-mesh", "SKILL.md"));
        var blocks = ShBlock().Matches(skill).Select(m => m.Groups["body"].Value).ToList();
        Assert.True(blocks.Count >= 5, "the skill has its examples");

        await using var silo = await HttpSilo.StartAsync();
        var work = Directory.CreateTempSubdirectory("sessionmesh-skill-").FullName;
        var bin = await Cli.CliRunner.InstallCommandAsync(work);

        // One script, the blocks in order (later ones use files and variables of earlier ones); any failing command fails it.
        var script = "set -euo pipefail\n" + string.Join("\n", blocks.Select((b, i) => $"echo '### block {i + 1}'\n{b}"));
        await File.WriteAllTextAsync(Path.Combine(work, "skill.sh"), script);
        var bash = await ChildProcess.RunAsync("bash", ["skill.sh"], TimeSpan.FromMinutes(5), work,
        [
            new("PATH", bin + ":" + Environment.GetEnvironmentVariable("PATH")),
            new("SESSION_MESH_URL", silo.BaseUrl),
            new("SESSION_API_KEY", HttpSilo.AdminKey),
        ]);
        var output = bash.Output;
        Assert.True(bash.ExitCode == 0, output);

        Assert.Contains("CodeGenAgent", output, StringComparison.Ordinal);
        Assert.Contains("ReviewAgent", output, StringComparison.Ordinal);
        Assert.Contains("reviewed: 0 issues", output, StringComparison.Ordinal);
        Assert.Contains("runner exited with 143", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();
}
