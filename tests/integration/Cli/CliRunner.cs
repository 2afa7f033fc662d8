using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Cli;

/// <summary>Runs the real `session-mesh` program as a separate process, as a user or a script would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string url, string? apiKey, params string[] args) =>
        await RunWithEnvironmentAsync(url, apiKey, null, args);

    public static async Task<Result> RunWithEnvironmentAsync(string url, string? apiKey, string? workingDirectory, params string[] args)
    {
        var run = await ChildProcess.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "session-mesh.dll"), .. args],
            TimeSpan.FromMinutes(2),
            workingDirectory ?? AppContext.BaseDirectory,
            [new("SESSION_MESH_URL", url), new("SESSION_API_KEY", apiKey)]);
        return new Result(run.ExitCode, run.Stdout, run.Stderr);
    }

    /// <summary>
    /// Puts a `session-mesh` command (running the built CLI) in a new <c>bin</c> folder under
    /// <paramref name="directory"/> and returns that folder, to put first on a shell's PATH.
    /// </summary>
    public static async Task<string> InstallCommandAsync(string directory)
    {
        var bin = Directory.CreateDirectory(Path.Combine(directory, "bin")).FullName;
        var wrapper = Path.Combine(bin, "session-mesh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "session-mesh.dll")}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return bin;
    }
}
