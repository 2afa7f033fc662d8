using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Cli;

/// <summary>`dotnet tool install` from a locally packed package gives a working `session-mesh` command.</summary>
[Trait("Category", "Cli")]
public sealed class ToolInstallTests
{
    [Fact]
    public async Task The_packed_tool_installs_and_runs()
    {
        var repo = Repository.Root;
        var work = Directory.CreateTempSubdirectory("sessionmesh-tool-").FullName;
        var packages = Path.Combine(work, "packages");
        var tools = Path.Combine(work, "tools");

        await RunAsync("dotnet", repo, "pack", Path.Combine(repo, "cli"), "-c", "Release", "-o", packages, "--nologo");
        await RunAsync("dotnet", repo, "tool", "install", "SessionMesh.Cli", "--tool-path", tools, "--add-source", packages, "--version", "0.1.0");
        var help = await RunAsync(Path.Combine(tools, "session-mesh"), work, "--help");
        Assert.Contains("session-mesh list --filter alive --output json", help, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var run = await ChildProcess.RunAsync(file, args, TimeSpan.FromMinutes(5), workingDirectory);
        Assert.True(run.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {run.ExitCode}: {run.Output}");
        return run.Output;
    }
}
