using System.CommandLine;
using SessionMesh.Cli;

var root = new RootCommand("""
    session-mesh: drive a SessionMesh cluster from a terminal or a script.

    The key comes from $SESSION_API_KEY (or --api-key), the address from $SESSION_MESH_URL (or --url).
    Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 authentication/authorization.

    Examples:
      session-mesh list --filter alive --output json
      session-mesh steer --agent-id 123 --direction west
      session-mesh kill --agent-id 456 --force
      session-mesh register --spec "data-analysis" --agent-id 789
      session-mesh load-config path/to/config.yaml
    """);
root.Options.Add(Globals.Url);
root.Options.Add(Globals.ApiKey);
root.Options.Add(Globals.Verbose);
root.Options.Add(Globals.Output);

AgentCommands.AddTo(root);
SessionCommands.AddTo(root);
KeyCommands.AddTo(root);
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(LoadConfigCommand.Create());
root.Subcommands.Add(SessionMesh.Cli.Run.RunCommand.Create());
root.Subcommands.Add(SessionMesh.Cli.Run.LogsCommand.Create());
root.Subcommands.Add(SessionMesh.Cli.Run.ChildCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    Console.Error.WriteLine("Run 'session-mesh --help' (or '<command> --help') for usage.");
    return ExitCodes.Usage;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return await parse.InvokeAsync(cancellationToken: cancel.Token);
}
catch (CliException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return ex.ExitCode;
}
catch (OperationCanceledException)
{
    return ExitCodes.Ok;
}
