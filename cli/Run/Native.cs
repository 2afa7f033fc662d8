using System.Runtime.InteropServices;

namespace SessionMesh.Cli.Run;

/// <summary>The few libc calls supervision needs on Linux: process groups, the parent-death signal, exec, kill.</summary>
internal static partial class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Ignored unless handled: a parent-death signal that arrives before its handler is lost harmlessly.</summary>
    public const int SigUrg = 23;

    private const int PrSetPdeathsig = 1;

    /// <summary>Starts a new session (and process group) led by the calling process.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getppid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execvp(string file, nint[] argv);

    /// <summary>Asks the kernel to send <paramref name="signal"/> (SIGKILL unless said) to this process when the thread that started it exits.</summary>
    public static int DieWithParent(int signal = SigKill) => prctl(PrSetPdeathsig, (nuint)signal, 0, 0, 0);

    /// <summary>Sends a signal to every process of a group; false if none is left.</summary>
    public static bool SignalGroup(int processGroup, int signal) => kill(-processGroup, signal) == 0;

    /// <summary>Replaces this process with the command (returns only on failure, with errno).</summary>
    public static int Exec(IReadOnlyList<string> command)
    {
        var argv = new nint[command.Count + 1];
        for (var i = 0; i < command.Count; i++)
        {
            argv[i] = Marshal.StringToCoTaskMemUTF8(command[i]);
        }

        execvp(command[0], argv);
        return Marshal.GetLastPInvokeError();
    }

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => $"signal {signal}",
    };
}
