using System.CommandLine;
using System.Text.Json;
using SessionMesh.Contracts;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>The skill's commands: list, steer, kill, register — plus agent heartbeat.</summary>
public static class AgentCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(List());
        root.Subcommands.Add(Steer());
        root.Subcommands.Add(Kill());
        root.Subcommands.Add(Register());
        root.Subcommands.Add(Heartbeat());
    }

    private static Command List()
    {
        var filter = new Option<string>("--filter") { Description = "active (default), alive, stale, stalled (heartbeating, no progress) or all.", DefaultValueFactory = _ => "active" };
        filter.AcceptOnlyFromAmong("active", "alive", "stale", "stalled", "all");
        var agent = Optional<string>("--agent-id", "Only sessions of this agent.");
        var spec = Optional<string>("--spec", "Only sessions of agents with this specialization.");
        var limit = new Option<int>("--limit") { Description = "Page size, 1-500.", DefaultValueFactory = _ => 100 };
        var cursor = Optional<string>("--cursor", "Continue after a page (the next_cursor of the previous one).");
        return Create("list", """
            List sessions by liveness.
              session-mesh list --filter alive --output json
              session-mesh list --filter active --spec data-analysis
            """, filter, agent, spec, limit, cursor).Runs(async (parse, ct) =>
        {
            var query = Query(("filter", parse.GetValue(filter)), ("agent_id", parse.GetValue(agent)), ("specialization", parse.GetValue(spec)),
                ("limit", parse.GetValue(limit).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", parse.GetValue(cursor)));
            using var http = Globals.Http(parse);
            var page = await http.GetAsync(ApiRoutes.Alive + query, ct);
            var output = Globals.Out(parse);
            output.Write(page, p => Output.Rows(p.GetProperty("sessions").EnumerateArray(),
                ("session", s => Output.Field(s, "session", "id")),
                ("agent", s => Output.Field(s, "session", "agent_name")),
                ("agent id", s => Output.Field(s, "session", "agent_id")),
                ("status", s => Output.Field(s, "session", "status")),
                ("phase", s => Output.Field(s, "session", "context", "current_phase")),
                ("lease", s => Output.Field(s, "lease", "health")),
                ("last heartbeat", s => Output.Age(s, "lease", "last_heartbeat"))));
            if (!output.Json && CliJson.Read<DiscoveryPageResponse>(page)?.NextCursor is { } next)
            {
                output.Line($"more: --cursor {next}");
            }

            return ExitCodes.Ok;
        });
    }

    private static Command Steer()
    {
        var agent = Required("--agent-id", "The agent to steer.");
        var direction = Required("--direction", "The new direction, e.g. north.");
        var message = Optional<string>("--message", "A note for the agent.");
        return Create("steer", """
            Steer an agent: issue a directive and set its direction.
              session-mesh steer --agent-id 123 --direction west
            """, agent, direction, message).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var body = new SteerRequest(parse.GetValue(agent), parse.GetValue(direction), parse.GetValue(message));
            // Each steer is a new directive: never repeated blindly.
            var directive = await http.SendAsync(HttpMethod.Post, ApiRoutes.Steer, body, safeToRepeat: false, ct);
            Globals.Out(parse).Write(directive, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Kill()
    {
        var agent = Required("--agent-id", "The agent to kill.");
        var force = Optional<bool>("--force", "Kill at once, without waiting for the agent to acknowledge (and without confirmation).");
        var yes = Optional<bool>("--yes", "Do not ask for confirmation.");
        var noCascade = Optional<bool>("--no-cascade", "Leave sessions descended from the agent's sessions running.");
        return Create("kill", """
            Kill an agent: gracefully (Draining until it acknowledges) or, with --force, at once.
              session-mesh kill --agent-id 456 --force
            """, agent, force, yes, noCascade).Runs(async (parse, ct) =>
        {
            var id = parse.GetValue(agent)!;
            if (!parse.GetValue(force) && !parse.GetValue(yes) && !Console.IsInputRedirected)
            {
                Console.Error.Write($"Kill agent '{id}'? [y/N] ");
                var answer = Console.ReadLine();
                if (!string.Equals(answer?.Trim(), "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine("Not killed.");
                    return ExitCodes.Error;
                }
            }

            using var http = Globals.Http(parse);
            var query = Query(("force", parse.GetValue(force) ? "true" : null), ("cascade", parse.GetValue(noCascade) ? "false" : null));
            var killed = await http.SendAsync(HttpMethod.Delete, ApiRoutes.Agent(id) + query, null, safeToRepeat: true, ct);
            Globals.Out(parse).Write(killed, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Register()
    {
        var spec = Required("--spec", "The specialization, e.g. data-analysis.");
        var agent = Required("--agent-id", "The agent's id.");
        var name = Optional<string>("--display-name", "A readable name for the agent.");
        return Create("register", """
            Register an agent under a specialization (creating the agent if needed; repeating it changes nothing).
              session-mesh register --spec "data-analysis" --agent-id 789
            """, spec, agent, name).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var body = new RegistryRequest(parse.GetValue(spec), parse.GetValue(agent), parse.GetValue(name), LeaseTtl: null);
            var registered = await http.SendAsync(HttpMethod.Post, ApiRoutes.Registry, body, safeToRepeat: true, ct);
            Globals.Out(parse).Write(registered, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    private static Command Heartbeat()
    {
        var agent = Optional<string>("--agent-id", "Heartbeat this agent (with --epoch).");
        var session = Optional<string>("--session-id", "Heartbeat this session (with --epoch of its agent, if any).");
        var epoch = Optional<long?>("--epoch", "The agent's fencing epoch.");
        var ttl = Optional<double?>("--ttl", "Lease TTL in seconds (default 30).");
        return Create("heartbeat", """
            Renew an agent's or a session's lease.
              session-mesh heartbeat --agent-id 123 --epoch 1
              session-mesh heartbeat --session-id 5f0c… --ttl 60
            """, agent, session, epoch, ttl).Runs(async (parse, ct) =>
        {
            var agentId = parse.GetValue(agent);
            var sessionId = parse.GetValue(session);
            if ((agentId is null) == (sessionId is null))
            {
                throw new CliException(ExitCodes.Usage, "give exactly one of --agent-id and --session-id.");
            }

            using var http = Globals.Http(parse);
            JsonElement? lease;
            if (agentId is not null)
            {
                var value = parse.GetValue(epoch) ?? throw new CliException(ExitCodes.Usage, "--epoch is required with --agent-id.");
                lease = await http.SendAsync(HttpMethod.Post, ApiRoutes.AgentHeartbeat(agentId), new AgentHeartbeatRequest(value, parse.GetValue(ttl)), safeToRepeat: true, ct);
            }
            else
            {
                lease = await http.SendAsync(HttpMethod.Post, ApiRoutes.SessionHeartbeat(sessionId!), new SessionHeartbeatRequest(parse.GetValue(epoch), parse.GetValue(ttl)), safeToRepeat: true, ct);
            }

            Globals.Out(parse).Write(lease, Output.Fields);
            return ExitCodes.Ok;
        });
    }

    /// <summary>"?a=1&amp;b=2" from the pairs that have a value.</summary>
    public static string Query(params (string Name, string? Value)[] pairs)
    {
        var present = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join("&", present);
    }
}
