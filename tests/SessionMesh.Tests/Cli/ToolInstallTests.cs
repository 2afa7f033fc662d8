using System.Diagnostics;

namespace SessionMesh.Tests.Cli;

/// <summary>`dotnet tool install` from a locally packed package gives a working `session-mesh` command.</summary>
public sealed class ToolInstallTests
{
    [Fact]
    public async Task The_packed_tool_installs_and_runs()
    {
        var repo = FindRepositoryRoot();
        var work = Directory.CreateTempSubdirectory("sessionmesh-tool-").FullName;
        var packages = Path.Combine(work, "packages");
        var tools = Path.Combine(work, "tools");

        await RunAsync("dotnet", repo, "pack", Path.Combine(repo, "cli", "SessionMesh.Cli"), "-c", "Release", "-o", packages, "--nologo");
        await RunAsync("dotnet", repo, "tool", "install", "SessionMesh.Cli", "--tool-path", tools, "--add-source", packages, "--version", "0.1.0");
        var help = await RunAsync(Path.Combine(tools, "session-mesh"), work, "--help");
        Assert.Contains("session-mesh list --filter alive --output json", help, StringComparison.Ordinal);
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SessionMesh.Orleans.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static async Task<string> RunAsync(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {output}");
        return output;
    }
}
