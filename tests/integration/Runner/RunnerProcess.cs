using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Runner;

/// <summary>`session-mesh run … -- COMMAND` as a real process, and the files its agent script leaves.</summary>
public sealed class RunnerProcess : IAsyncDisposable
{
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();

    private RunnerProcess(Process process, string directory)
    {
        Process = process;
        Directory = directory;
    }

    public Process Process { get; }

    /// <summary>A scratch folder the agent script writes into (pids, signals seen).</summary>
    public string Directory { get; }

    public string DirectivesFile => Path.Combine(Directory, "directives.jsonl");

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Starts the runner with an agent script (bash) and the given extra options.</summary>
    public static RunnerProcess Start(HttpSilo silo, string agentId, string script, params string[] options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var directory = System.IO.Directory.CreateTempSubdirectory("sessionmesh-run-").FullName;
        var scriptPath = Path.Combine(directory, "agent.sh");
        File.WriteAllText(scriptPath, "#!/bin/bash\ncd \"" + directory + "\"\n" + script);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "session-mesh.dll"));
        foreach (var arg in (string[])["run", "--agent-id", agentId, "--spec", "runner-tests", "--directives-file", Path.Combine(directory, "directives.jsonl"), .. options, "--", "bash", scriptPath])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SESSION_MESH_URL"] = silo.BaseUrl;
        start.Environment["SESSION_API_KEY"] = HttpSilo.AdminKey;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        var runner = new RunnerProcess(process, directory);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (runner._stderr)
            {
                runner._stderr.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (runner._stdout)
            {
                runner._stdout.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return runner;
    }

    /// <summary>The session the runner spawned, once it says so.</summary>
    public async Task<Guid> SessionIdAsync()
    {
        string? id = null;
        await Poll.UntilAsync(() =>
        {
            var marker = Stderr.IndexOf("runs session ", StringComparison.Ordinal);
            if (marker >= 0)
            {
                id = Stderr.Substring(marker + "runs session ".Length, 36);
            }

            return Task.FromResult(id is not null || Process.HasExited);
        }, "the runner to start its session");
        return id is null ? throw new InvalidOperationException($"The runner ended before starting: {Stderr}") : Guid.Parse(id);
    }

    /// <summary>Reads a number the agent script wrote to a file (a pid), once it is there.</summary>
    public async Task<int> ReadPidAsync(string name) => int.Parse(await ReadLineAsync(name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The one line the agent wrote to a file in its directory (waits for the line's end).</summary>
    public async Task<string> ReadLineAsync(string name)
    {
        var path = Path.Combine(Directory, name);
        var text = string.Empty;
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(path) && (text = File.ReadAllText(path)).EndsWith('\n')), $"{name} to be written");
        return text.Trim();
    }

    public IReadOnlyList<JsonElement> Directives() =>
        File.Exists(DirectivesFile)
            ? [.. File.ReadAllLines(DirectivesFile).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())]
            : [];

    public async Task<int> WaitForExitAsync()
    {
        await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Process.WaitForExit(); // drains the redirected output
        return Process.ExitCode;
    }

    // A zombie (exited, not yet reaped) is gone for every purpose that matters here.
    public static bool IsAlive(int pid) => State(pid) is { } state && state != "Z";

    /// <summary>The process's state letter from /proc (R, S, T stopped, Z zombie, …), or null when it is gone.</summary>
    public static string? State(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }
}

/// <summary>Waits for a condition with a generous overall bound; never asserts on how long it took.</summary>
public static class Poll
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > Bound)
            {
                throw new TimeoutException($"Gave up waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
