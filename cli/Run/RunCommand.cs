using System.CommandLine;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli.Run;

/// <summary>`session-mesh run`: an agent process supervised by the mesh.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var agent = Required("--agent-id", "The agent that runs the command (registered if needed).");
        var spec = Required("--spec", "The agent's specialization, e.g. code-generation.");
        var agentName = Optional<string>("--agent-name", "The session's agent name, e.g. CodeGenAgent (default: the specialization).");
        var purpose = Optional<string>("--purpose", "What the session is for.");
        var session = Optional<string>("--session-id", "Run an existing Active session (e.g. a handoff's child) instead of spawning one.");
        var ttl = new Option<double>("--lease-ttl") { Description = "Heartbeat lease TTL in seconds; the runner heartbeats every TTL/3.", DefaultValueFactory = _ => 30 };
        var grace = new Option<double>("--grace") { Description = "Seconds between SIGTERM and SIGKILL when the agent is killed gracefully.", DefaultValueFactory = _ => 10 };
        var stallAfter = new Option<double>("--stall-after") { Description = "Seconds without output or acknowledged directive after which the agent is reported stalled.", DefaultValueFactory = _ => 300 };
        var directives = new Option<string>("--directives") { Description = "file (default): each directive is a JSON line in $SESSION_MESH_DIRECTIVES; stdin: also written to the command's stdin.", DefaultValueFactory = _ => "file" };
        directives.AcceptOnlyFromAmong("file", "stdin");
        var directivesFile = Optional<string>("--directives-file", "Where to append directives (default: a file in the temp folder named after the session).");
        var mcpConfig = Optional<string>("--mcp-config", "Write an MCP client config (the mesh's /mcp URL and the run's own key) to this file for the command.");
        var command = new Argument<string[]>("command") { Description = "The command to run, after --.", Arity = ArgumentArity.OneOrMore };
        var run = CommandBuilder.Create("run", """
            Run a command as an agent of the mesh: registers the agent, spawns (or attaches to) a session,
            starts COMMAND in its own process group with a key bound to this agent and session, heartbeats
            for it, delivers directives pushed by the mesh (as JSON lines in $SESSION_MESH_DIRECTIVES), turns
            a kill into SIGTERM then SIGKILL, keeps its output in the session log, and makes its exit the
            session's outcome (0 Completed; otherwise Failed). Exits with the command's exit code.
            Needs an admin key: it creates the command's own key.
              session-mesh run --agent-id codegen-1 --spec code-generation --agent-name CodeGenAgent -- ./agent.sh
              session-mesh run --agent-id review-1 --spec review --session-id <child id> --directives stdin -- python3 review.py
            """, agent, spec, agentName, purpose, session, ttl, grace, stallAfter, directives, directivesFile, mcpConfig, command);
        return run.Runs(async (parse, ct) =>
        {
            var options = new RunOptions
            {
                AgentId = parse.GetValue(agent)!,
                Specialization = parse.GetValue(spec)!,
                AgentName = parse.GetValue(agentName),
                Purpose = parse.GetValue(purpose),
                SessionId = parse.GetValue(session),
                LeaseTtl = Seconds("--lease-ttl", parse.GetValue(ttl), 1), // the mesh's shortest lease
                Grace = Seconds("--grace", parse.GetValue(grace), 0),
                StallAfter = Seconds("--stall-after", parse.GetValue(stallAfter), 1),
                DirectivesToStdin = parse.GetValue(directives) == "stdin",
                DirectivesFile = parse.GetValue(directivesFile),
                McpConfig = parse.GetValue(mcpConfig),
                Command = parse.GetValue(command) ?? [],
            };
            using var http = Globals.Http(parse);
            using var runner = new Runner(options, http, BaseUrl(parse), parse.GetValue(Globals.Verbose));
            return await runner.RunAsync(ct);
        });
    }

    /// <summary>The silo's address as every command resolves it, with a trailing slash.</summary>
    public static Uri BaseUrl(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var url = parse.GetValue(Globals.Url) ?? Environment.GetEnvironmentVariable("SESSION_MESH_URL") ?? Globals.DefaultUrl;
        return new Uri(url.EndsWith('/') ? url : url + "/");
    }

    private static TimeSpan Seconds(string name, double value, double minimum) =>
        double.IsFinite(value) && value >= minimum && value <= 86_400
            ? TimeSpan.FromSeconds(value)
            : throw new CliException(ExitCodes.Usage, $"{name}: must be a number of seconds from {minimum} to 86400.");
}
