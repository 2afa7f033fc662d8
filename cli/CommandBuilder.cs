using System.CommandLine;

namespace SessionMesh.Cli;

/// <summary>Small helpers so each command reads as what it does.</summary>
public static class CommandBuilder
{
    public static Command Create(string name, string description, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Command sub:
                    command.Subcommands.Add(sub);
                    break;
            }
        }

        return command;
    }

    /// <summary>Runs an action, turning <see cref="CliException"/> into its message and exit code.</summary>
    public static Command Runs(this Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return ex.ExitCode;
            }
        });
        return command;
    }

    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    public static Option<T> Optional<T>(string name, string description) => new(name) { Description = description };
}
