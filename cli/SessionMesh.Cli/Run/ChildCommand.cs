using System.CommandLine;

namespace SessionMesh.Cli.Run;

/// <summary>
/// The hidden first stage of a supervised child: leave the runner's process group (so a kill of
/// the group reaches the command and its children, never the runner), ask to be SIGKILLed if the
/// runner dies, then become the command. Nothing of .NET survives the exec.
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
}
