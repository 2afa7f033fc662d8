using SessionMesh.Tests.Infrastructure;
using System.Diagnostics;
using System.Net.Http.Headers;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Cluster;

/// <summary>One real silo process (the built SessionMesh.Silo) in cluster mode on loopback ports.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    // One mesh CA for every silo process of the run: clustered silos refuse to start without it.
    private static readonly Lazy<string> SharedTls = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("sessionmesh-cluster-tls-").FullName;
        SessionMesh.Silo.Security.MeshCertificateAuthority.EnsureCreated(directory);
        return directory;
    });

    /// <summary>The run's mesh CA and certificates, shared by every clustered silo process a test starts.</summary>
    public static string TlsDirectory => SharedTls.Value;

    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private SiloProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
    }

    public string Url { get; }

    /// <summary>An admin client for this silo's API.</summary>
    public HttpClient Http { get; }

    public static async Task<SiloProcess> StartAsync(string connectionString, string clusterId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(connectionString, clusterId);
            }
            catch (InvalidOperationException ex) when (attempt < 3 && HttpSiloPorts.IsTaken(ex))
            {
                // A free port is free only when asked: another process (a test's server, or an outgoing
                // connection's local port) may take it before the silo binds. Start again on other ports.
                // One fresh-clone run lost a cluster test to exactly that.
            }
        }
    }

    private static async Task<SiloProcess> StartOnceAsync(string connectionString, string clusterId)
    {
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SessionMesh.Silo.dll"));
        foreach (var arg in new[]
        {
            $"--SessionMesh:HttpUrl={url}",
            $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:ClusterId={clusterId}",
            $"--SessionMesh:ServiceId={clusterId}",
            $"--SessionMesh:AdminKey={HttpSilo.AdminKey}",
            $"--SessionMesh:Tls:Directory={SharedTls.Value}",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SESSION_MESH_POSTGRES"] = connectionString;
        var process = Process.Start(start)!;
        var silo = new SiloProcess(process, url);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo.WaitReadyAsync();
        }
        catch
        {
            // A silo that never became ready must not outlive the test (and load the machine for the next).
            await silo.KillAsync();
            silo.Http.Dispose();
            throw;
        }

        return silo;
    }

    /// <summary>The last lines the silo wrote (for a failing test's report).</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log);

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 300 && _log.TryDequeue(out _))
        {
        }
    }

    /// <summary>Waits until /health/ready answers 200 (bounded).</summary>
    public async Task WaitReadyAsync()
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                // The silo's own last words say why (a crash, Orleans declaring it dead, a bad setting);
                // waiting for the exit once more lets the redirected output drain first.
                _process.WaitForExit();
                throw new InvalidOperationException($"silo {Url} exited with {_process.ExitCode}; its last output:{Environment.NewLine}{string.Join(Environment.NewLine, _log.TakeLast(40))}");
            }

            try
            {
                using var response = await Http.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"silo {Url} did not become ready");
    }

    /// <summary>Sends a signal (STOP freezes the silo: it holds its grains but answers nothing; CONT thaws it).</summary>
    public Task SignalAsync(string signal) => ProcessSignals.SignalAsync(_process, signal);

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public Task KillAsync() => ProcessSignals.KillAsync(_process);

    /// <summary>SIGTERM: a clean stop (at most 30 s, then SIGKILL).</summary>
    public Task StopAsync() => ProcessSignals.StopAsync(_process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        _process.Dispose();
    }
}
