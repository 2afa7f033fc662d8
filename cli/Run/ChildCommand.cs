using System.CommandLine;

namespace SessionMesh.Cli.Run;

/// <summary>
/// The hidden first stage of a supervised child: leave the runner's process group (so a kill of
/// the group reaches the command and its children, never the runner), ask to be SIGKILLed if the
/// runner dies, then become the command. Nothing of .NET survives the exec.
/// The same stage starts the child's guard: a shell that waits for the runner's death (a SIGURG
/// from the kernel) and then SIGKILLs the child's whole group — the command's own children too,
/// which the parent-death signal alone would leave running.
/// </summary>
public static class ChildCommand
{
    public const string Name = "__child";

    public static Command Create()
    {
        var command = new Argument<string[]>("command") { Arity = ArgumentArity.OneOrMore };
        var child = new Command(Name, "Internal: starts a command for 'session-mesh run'.") { Hidden = true };
        child.Arguments.Add(command);
        child.TreatUnmatchedTokensAsErrors = false;
        child.SetAction(parse =>
        {
            var runner = Environment.GetEnvironmentVariable(RunEnvironment.RunnerPid);
            if (Environment.GetEnvironmentVariable(RunEnvironment.GuardGroup) is { } group)
            {
                return Guard(runner, group);
            }

            Native.setsid();
            Native.DieWithParent();
            // The runner may have died between our start and prctl: then no signal will come.
            if (runner is not null && Native.getppid().ToString(System.Globalization.CultureInfo.InvariantCulture) != runner)
            {
                return 137;
            }

            var args = parse.GetValue(command) ?? [];
            var errno = Native.Exec(args);
            Console.Error.WriteLine($"session-mesh run: cannot start '{args[0]}': {new System.ComponentModel.Win32Exception(errno).Message}");
            return errno == 2 ? 127 : 126; // as a shell would: not found, or not executable
        });
        return child;
    }

    private static int Guard(string? runner, string group)
    {
        if (!int.TryParse(group, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pgid) || pgid <= 1)
        {
            return 2;
        }

        // SIGURG, whose default is to be ignored: the shell below must live to act on it, and if it
        // arrives before the shell's trap is in place it is lost without killing the guard — the
        // shell then sees for itself that the runner is gone. The kernel keeps the parent-death
        // signal across exec. If the runner is already gone, act now.
        Native.DieWithParent(Native.SigUrg);
        if (runner is null || Native.getppid().ToString(System.Globalization.CultureInfo.InvariantCulture) != runner)
        {
            Native.SignalGroup(pgid, Native.SigKill);
            return 0;
        }

        // `wait` (unlike a foreground sleep) returns as soon as the trapped signal arrives.
        const string Script = """
            trap 'kill -9 -$1 2>/dev/null; kill $! 2>/dev/null; exit 0' URG
            kill -0 "$2" 2>/dev/null || { kill -9 -$1 2>/dev/null; exit 0; }
            sleep 2147483647 & wait
            """;
        var errno = Native.Exec(["/bin/sh", "-c", Script, "session-mesh-guard", group, runner]);
        Console.Error.WriteLine($"session-mesh run: cannot start the child's guard: {new System.ComponentModel.Win32Exception(errno).Message}");
        return 126;
    }
}
