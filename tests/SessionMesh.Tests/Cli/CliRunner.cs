using System.Diagnostics;

namespace SessionMesh.Tests.Cli;

/// <summary>Runs the real `session-mesh` program as a separate process, as a user or a script would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string url, string? apiKey, params string[] args) =>
        await RunWithEnvironmentAsync(url, apiKey, null, args);

    public static async Task<Result> RunWithEnvironmentAsync(string url, string? apiKey, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "session-mesh.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SESSION_MESH_URL"] = url;
        if (apiKey is null)
        {
            start.Environment.Remove("SESSION_API_KEY");
        }
        else
        {
            start.Environment["SESSION_API_KEY"] = apiKey;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
