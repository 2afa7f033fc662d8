using System.Diagnostics;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Ops;

/// <summary>
/// scripts/cluster.sh guarding what it starts and stops: no second `up` over a running cluster, no
/// signal to a PID that is not its own silo, no silo without a connection string.
/// </summary>
[Trait("Category", "Process")]
public sealed class ClusterScriptTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("sessionmesh-cluster-test-").FullName;
    private readonly List<Process> _started = [];

    [Fact]
    public async Task Up_refuses_while_this_cluster_runs_and_leaves_its_connection_file_alone()
    {
        File.WriteAllText(Path.Combine(_state, "connection"), "Host=127.0.0.1;Port=1;Database=kept");
        var silo = Spawn("bash", "-c", "sleep 600; true", Path.Combine(_state, "silo", "SessionMesh.Silo.dll"));
        File.WriteAllText(Path.Combine(_state, "silo1.pid"), silo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var (code, output) = await ScriptAsync("up", "1");

        Assert.NotEqual(0, code);
        Assert.Contains("already runs", output, StringComparison.Ordinal);
        Assert.Equal("Host=127.0.0.1;Port=1;Database=kept", File.ReadAllText(Path.Combine(_state, "connection")));
        Assert.False(silo.HasExited);
    }

    [Fact]
    public async Task Down_and_kill_leave_a_foreign_process_named_by_a_stale_pid_file_alone()
    {
        var foreign = Spawn("sleep", "600");
        var pid = foreign.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(_state, "silo1.pid"), pid);
        File.WriteAllText(Path.Combine(_state, "silo2.pid"), pid);

        var (killCode, killOutput) = await ScriptAsync("kill", "2");
        Assert.NotEqual(0, killCode);
        Assert.Contains("nothing signalled", killOutput, StringComparison.Ordinal);

        var (downCode, downOutput) = await ScriptAsync("down");
        Assert.Equal(0, downCode);
        Assert.Contains("left alone", downOutput, StringComparison.Ordinal);
        Assert.False(foreign.HasExited);
    }

    [Fact]
    public async Task Starting_a_silo_without_a_connection_string_is_an_error_not_a_SQLite_silo()
    {
        File.WriteAllText(Path.Combine(_state, "connection"), string.Empty);

        var (code, output) = await ScriptAsync("start", "2");

        Assert.NotEqual(0, code);
        Assert.Contains("no PostgreSQL connection string", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_state, "silo2.pid")));
    }

    private Process Spawn(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        _started.Add(process);
        return process;
    }

    private async Task<(int Code, string Output)> ScriptAsync(params string[] args)
    {
        var run = await ChildProcess.RunAsync(
            "bash",
            [Path.Combine(Repository.Root, "scripts", "cluster.sh"), .. args],
            TimeSpan.FromMinutes(2),
            environment: [new("SESSION_MESH_CLUSTER_DIR", _state)]);
        return (run.ExitCode, run.Output);
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        Directory.Delete(_state, recursive: true);
    }
}
