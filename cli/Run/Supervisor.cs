using System.Diagnostics;

namespace SessionMesh.Cli.Run;

/// <summary>
/// The supervised child: started through <see cref="ChildCommand"/> in its own process group, with
/// the parent-death signal tied to a thread that lives as long as the run, stopped as a group.
/// </summary>
internal sealed class Supervisor : IDisposable
{
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _runEnded;
    private Timer? _graceTimer;

    private Supervisor(Process process, ManualResetEventSlim runEnded)
    {
        Process = process;
        _runEnded = runEnded;
    }

    public Process Process { get; }

    /// <summary>Why the runner stopped the child, or null if it exited on its own.</summary>
    public StopReason? Stopped { get; private set; }

    /// <summary>The sequence of the kill directive that asked for a graceful stop, if one did.</summary>
    public long? KillDirective { get; private set; }

    public static Supervisor Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, bool redirectInput)
    {
        // PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, so fork from a thread
        // that lives until the run is over, never from a pool thread that may retire.
        Process? process = null;
        Exception? failure = null;
        using var started = new ManualResetEventSlim();
        var runEnded = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            try
            {
                process = Process.Start(StartInfo(command, environment, redirectInput));

                // From this same thread: the guard's parent-death signal fires when the run is over
                // or the runner dies, and it then kills whatever is left of the child's group.
                if (process is not null)
                {
                    Process.Start(GuardStartInfo(process.Id))?.Dispose();
                }
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                failure = ex;
            }

            started.Set();
            runEnded.Wait();
        })
        {
            IsBackground = true,
            Name = "session-mesh child parent",
        };
        thread.Start();
        started.Wait();
        if (process is null)
        {
            runEnded.Set();
            throw new CliException(ExitCodes.Error, $"Cannot start the runner's child stage: {failure?.Message}");
        }

        return new Supervisor(process, runEnded);
    }

    /// <summary>SIGTERM to the group now, SIGKILL after <paramref name="grace"/> if anything is left.</summary>
    public void StopGracefully(StopReason reason, TimeSpan grace, long? killDirective = null)
    {
        lock (_gate)
        {
            if (Stopped is not null)
            {
                KillDirective ??= killDirective;
                return;
            }

            Stopped = reason;
            KillDirective = killDirective;
            Signal(Native.SigTerm);
            _graceTimer = new Timer(_ => Signal(Native.SigKill), null, grace, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>SIGKILL to the group at once.</summary>
    public void StopNow(StopReason reason)
    {
        lock (_gate)
        {
            Stopped ??= reason;
            Signal(Native.SigKill);
        }
    }

    /// <summary>After the child exited: nothing it started outlives the run.</summary>
    public void KillLeftovers() => Native.SignalGroup(Process.Id, Native.SigKill);

    public void Dispose()
    {
        _graceTimer?.Dispose();
        _runEnded.Set(); // lets the forking thread end: the child is gone by now
        Process.Dispose();
    }

    private void Signal(int signal)
    {
        // The child leads its own group (setsid) once its first stage ran; before that, signal it alone.
        if (!Native.SignalGroup(Process.Id, signal))
        {
            Native.kill(Process.Id, signal);
        }
    }

    private static ProcessStartInfo StartInfo(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, bool redirectInput)
    {
        var start = ChildStage(redirectInput);
        start.ArgumentList.Add("--");
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment[RunEnvironment.RunnerPid] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return start;
    }

    /// <summary>The guard of the child's group (see <see cref="ChildCommand"/>): no terminal, no input, no output.</summary>
    private static ProcessStartInfo GuardStartInfo(int childGroup)
    {
        var start = ChildStage(redirectInput: true);
        start.ArgumentList.Add("--");
        start.ArgumentList.Add("guard"); // the stage takes a command; the guard's is its own
        start.Environment[RunEnvironment.GuardGroup] = childGroup.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[RunEnvironment.RunnerPid] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return start;
    }

    /// <summary>This program again, at its hidden child stage.</summary>
    private static ProcessStartInfo ChildStage(bool redirectInput)
    {
        var host = Environment.ProcessPath ?? throw new CliException(ExitCodes.Error, "Cannot tell where session-mesh runs from.");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(Supervisor).Assembly.Location);
        }

        start.ArgumentList.Add(ChildCommand.Name);
        return start;
    }
}

/// <summary>Why the runner stopped its child.</summary>
internal enum StopReason
{
    /// <summary>A graceful kill directive from the mesh.</summary>
    KillDirective,

    /// <summary>The mesh killed the agent outright (forced, or its grace ran out).</summary>
    KilledByMesh,

    /// <summary>The runner itself was asked to stop (SIGTERM, SIGINT).</summary>
    RunnerSignal,
}
