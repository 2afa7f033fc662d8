using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SessionMesh.Contracts;
using Spectre.Console;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>The session lifecycle: spawn, handoff, get, lineage, complete, fail, stats.</summary>
public static class SessionCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(Spawn());
        root.Subcommands.Add(Handoff());
        root.Subcommands.Add(Get());
        root.Subcommands.Add(Lineage());
        root.Subcommands.Add(Complete());
        root.Subcommands.Add(Fail());
        root.Subcommands.Add(Stats());
    }

    private static readonly string[] Phases = Enum.GetNames<Phase>();

    private static Command Spawn()
    {
        var agentName = Required("--agent-name", "The agent that runs it, e.g. CodeGenAgent.");
        var purpose = Optional<string>("--purpose", "What the session is for.");
        var agentId = Optional<string>("--agent-id", "The id of the agent process that runs it.");
        var (issue, phase, worktree) = ContextOptions();
        var leaseTtl = Optional<double?>("--lease-ttl", "Start a heartbeat lease with this TTL (seconds).");
        var sessionId = Optional<string>("--session-id", "Choose the id (a UUID); one is generated otherwise. Either way retries are safe.");
        return Create("spawn", """
            Start an Active session.
              session-mesh spawn --agent-name CodeGenAgent --purpose "Code generation for #270" --issue 270 --phase CodeGeneration
            """, agentName, purpose, agentId, issue, phase, worktree, leaseTtl, sessionId).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            // A client-chosen id makes the POST idempotent, so it may be retried.
            var body = new SpawnRequest(parse.GetValue(sessionId) ?? Guid.NewGuid().ToString(), parse.GetValue(agentName), parse.GetValue(purpose),
                Context(parse, issue, phase, worktree), parse.GetValue(agentId), parse.GetValue(leaseTtl));
            var session = await http.SendAsync(HttpMethod.Post, ApiRoutes.Sessions, body, safeToRepeat: true, ct);
            Globals.Out(parse).Write(session, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Handoff()
    {
        var session = Required("--session-id", "The Active session to hand off.");
        var toAgent = Required("--to-agent", "The agent that takes over, e.g. ReviewAgent.");
        var purpose = Optional<string>("--purpose", "The child's purpose (default: Handoff from session …).");
        var (issue, phase, worktree) = ContextOptions();
        return Create("handoff", """
            Hand an Active session off to another agent; prints the new child session.
              session-mesh handoff --session-id 5f0c… --to-agent ReviewAgent --phase Review
            """, session, toAgent, purpose, issue, phase, worktree).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            // The child's id is chosen here, so a retry after a lost answer gets the same child back.
            var body = new HandoffRequest(parse.GetValue(toAgent), Context(parse, issue, phase, worktree), parse.GetValue(purpose), AgentId: null, LeaseTtl: null, Guid.NewGuid().ToString());
            var child = await http.SendAsync(HttpMethod.Post, ApiRoutes.Handoff(parse.GetValue(session)!), body, safeToRepeat: true, ct);
            Globals.Out(parse).Write(child, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Get()
    {
        var session = Required("--session-id", "The session.");
        return Create("get", "Show one session.\n  session-mesh get --session-id 5f0c…", session).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            Globals.Out(parse).Write(await http.GetAsync(ApiRoutes.Session(parse.GetValue(session)!), ct), Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Lineage()
    {
        var session = Required("--session-id", "The session.");
        return Create("lineage", "Show the chain from the root session to this one, as a tree.\n  session-mesh lineage --session-id 5f0c…", session).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var lineage = await http.GetAsync(ApiRoutes.Lineage(parse.GetValue(session)!), ct);
            Globals.Out(parse).Write(lineage, chain =>
            {
                var sessions = chain.EnumerateArray().ToList();
                var tree = new Tree(Describe(sessions[0]));
                IHasTreeNodes node = tree;
                foreach (var next in sessions.Skip(1))
                {
                    node = node.AddNode(Describe(next));
                }

                return tree;
            });
            return ExitCodes.Ok;
        });
    }

    private static Command Complete()
    {
        var session = Required("--session-id", "The Active session.");
        return Create("complete", "Mark an Active session Completed.\n  session-mesh complete --session-id 5f0c…", session).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            Globals.Out(parse).Write(await http.SendAsync(HttpMethod.Post, ApiRoutes.Complete(parse.GetValue(session)!), null, safeToRepeat: false, ct), Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Fail()
    {
        var session = Required("--session-id", "The Active session.");
        var error = Required("--error", "Why it failed.");
        return Create("fail", "Mark an Active session Failed.\n  session-mesh fail --session-id 5f0c… --error \"3 tests failed\"", session, error).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var failed = await http.SendAsync(HttpMethod.Post, ApiRoutes.Fail(parse.GetValue(session)!), new FailRequest(parse.GetValue(error)), safeToRepeat: false, ct);
            Globals.Out(parse).Write(failed, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Stats() =>
        Create("stats", "Counts: sessions by status, sessions expired, agents lost and killed.\n  session-mesh stats --output json").Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var stats = await http.GetAsync(ApiRoutes.Stats, ct);
            Globals.Out(parse).Write(stats, s =>
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("count").AddColumn(new TableColumn("value").RightAligned());
                foreach (var p in s.GetProperty("sessions").EnumerateObject())
                {
                    table.AddRow($"sessions {p.Name}", Output.Text(p.Value));
                }

                foreach (var p in s.EnumerateObject().Where(p => p.Name != "sessions"))
                {
                    table.AddRow(p.Name, Output.Text(p.Value));
                }

                return table;
            });
            return ExitCodes.Ok;
        });

    private static (Option<ulong?> Issue, Option<string?> Phase, Option<string?> Worktree) ContextOptions()
    {
        var phase = new Option<string?>("--phase") { Description = "The pipeline phase: " + string.Join(", ", Phases) + "." };
        phase.AcceptOnlyFromAmong(Phases);
        return (Optional<ulong?>("--issue", "The issue number."), phase, Optional<string?>("--worktree", "The worktree path."));
    }

    private static ContextBody Context(ParseResult parse, Option<ulong?> issue, Option<string?> phase, Option<string?> worktree) => new()
    {
        IssueNumber = parse.GetValue(issue),
        CurrentPhase = parse.GetValue(phase) is { } named ? Enum.Parse<Phase>(named) : Phase.IssueAnalysis,
        WorktreePath = parse.GetValue(worktree),
    };

    private static string Describe(JsonElement session) =>
        Markup.Escape($"{Output.Field(session, "agent_name")} ({Output.Field(session, "status")}) {Output.Field(session, "id")}");

}
