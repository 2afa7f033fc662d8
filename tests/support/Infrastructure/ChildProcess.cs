using System.Diagnostics;

namespace SessionMesh.Tests.Infrastructure;

/// <summary>Runs a program to its end, as a user or a script would, and keeps what it printed.</summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Standard output followed by standard error.</summary>
        public string Output => Stdout + Stderr;
    }

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/>; an environment value of null removes
    /// the variable. Standard input is closed at once. A program still running after
    /// <paramref name="bound"/> is killed with its children and the wait throws <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task<Result> RunAsync(
        string file,
        IEnumerable<string> args,
        TimeSpan bound,
        string? workingDirectory = null,
        IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? [])
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
