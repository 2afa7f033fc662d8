using System.Collections.Concurrent;
using System.Diagnostics;
using SessionMesh.Tests.Http;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Ops;

/// <summary>
/// The built silo run as a person runs it (`dotnet SessionMesh.Silo.dll …` in a folder of their
/// own), with every output line kept in order so a test can read what a person would read.
/// </summary>
public sealed class SiloRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloRun(Process process, string workingDirectory)
    {
        _process = process;
        WorkingDirectory = workingDirectory;
    }

    public string WorkingDirectory { get; }

    /// <summary>stdout and stderr lines so far, in arrival order.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Environment settings a silo started by a test must not take from the test runner's environment.</summary>
    public static readonly string[] SettingsNotInherited = ["SESSION_MESH_POSTGRES", "SESSION_MESH_ADMIN_KEY", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "OTEL_EXPORTER_OTLP_ENDPOINT"];

    /// <summary>Free loopback ports for the silo's HTTP, silo and gateway endpoints, as command-line settings.</summary>
    public static string[] Ports() =>
    [
        $"--SessionMesh:HttpUrl=http://127.0.0.1:{HttpSiloPorts.Free()}",
        $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
        $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
    ];

    public static SiloRun Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var directory = Directory.CreateTempSubdirectory("sessionmesh-ops-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SessionMesh.Silo.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A plain console: no colours, no inherited settings from the test runner.
        start.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "false";
        foreach (var name in SettingsNotInherited)
        {
            start.Environment.Remove(name);
        }

        // Clustered silos refuse to start without the mesh's certificates: every run shares the test CA.
        start.Environment["SessionMesh__Tls__Directory"] = SessionMesh.Tests.Cluster.SiloProcess.TlsDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var run = new SiloRun(process, directory);
        process.OutputDataReceived += (_, e) => run.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => run.Keep(e.Data);
        process.Exited += (_, _) => run._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Waits (bounded) until a line satisfies <paramref name="match"/>; returns its index among all lines.</summary>
    public async Task<int> WaitForLineAsync(Func<string, bool> match, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(120));
        while (DateTime.UtcNow < until)
        {
            var lines = Lines;
            for (var i = 0; i < lines.Count; i++)
            {
                if (match(lines[i]))
                {
                    return i;
                }
            }

            if (_process.HasExited)
            {
                await Task.Delay(200); // let the last lines arrive
                if (Lines.Count == lines.Count)
                {
                    throw new InvalidOperationException($"silo exited with {_process.ExitCode} before the line appeared:\n{string.Join('\n', lines)}");
                }

                continue;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the line did not appear:\n{string.Join('\n', Lines)}");
    }

    /// <summary>Waits (bounded) for the process to exit.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        await _exited.Task.WaitAsync(within);
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public Task KillAsync() => ProcessSignals.KillAsync(_process);

    /// <summary>SIGTERM, a clean stop (bounded), then SIGKILL if it still runs.</summary>
    public Task StopAsync() => ProcessSignals.StopAsync(_process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(WorkingDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
