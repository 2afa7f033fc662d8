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
}
