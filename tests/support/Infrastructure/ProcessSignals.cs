using System.Diagnostics;
using System.Globalization;

namespace SessionMesh.Tests.Infrastructure;

/// <summary>Signals for the silo processes tests start: a crash, a clean stop, a freeze.</summary>
public static class ProcessSignals
{
    /// <summary>Sends a signal by name (STOP freezes a process: it holds its state but answers nothing; CONT thaws it).</summary>
    public static async Task SignalAsync(Process process, string signal)
    {
        ArgumentNullException.ThrowIfNull(process);
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public static async Task KillAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, a clean stop (at most 30 s), then SIGKILL if it still runs.</summary>
    public static async Task StopAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process.HasExited)
        {
            return;
        }

        await SignalAsync(process, "TERM");
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
