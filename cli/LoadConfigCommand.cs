using System.CommandLine;
using System.Text.Json;
using SessionMesh.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SessionMesh.Cli;

/// <summary>
/// Applies a YAML mesh description idempotently: agents with their specializations, keys by label,
/// and sessions to report. The whole file is checked first; any problem is reported with its line
/// and nothing is applied.
/// </summary>
public static class LoadConfigCommand
{
    public static Command Create()
    {
        var path = new Argument<FileInfo>("path") { Description = "The YAML file." };
        return CommandBuilder.Create("load-config", """
            Apply a YAML mesh description; running it again changes nothing.
              session-mesh load-config path/to/config.yaml

            Format:
              agents:
                - id: "789"
                  specializations: [data-analysis]   # or: spec: data-analysis
                  display_name: Analyst              # optional
              spec: data-analysis                    # shorthand for one agent, with agent_id
              agent_id: "789"
              keys:
                - label: ci                          # created once, by label
                  ttl: 86400
                  scopes: [operator]
              sessions:                              # sessions to report on
                - id: 123                            # a session id, or an agent id
                - filter: alive                      # active, alive, stale or all
            """, path).Runs(async (parse, ct) =>
        {
            var file = parse.GetValue(path)!;
            var config = MeshConfig.Read(file);
            using var http = Globals.Http(parse);
            var changes = 0;

            foreach (var agent in config.Agents)
            {
                var existing = CliJson.Read<AgentResponse>(await TryGetAsync(http, ApiRoutes.Agent(agent.Id), ct));
                var has = existing?.Specializations.ToHashSet(StringComparer.Ordinal) ?? [];
                foreach (var spec in agent.Specializations.Where(s => !has.Contains(s)))
                {
                    await http.SendAsync(HttpMethod.Post, ApiRoutes.Registry, new RegistryRequest(spec, agent.Id, agent.DisplayName, LeaseTtl: null), safeToRepeat: true, ct);
                    Console.WriteLine($"registered agent {agent.Id} as {spec}");
                    changes++;
                }
            }

            if (config.Keys.Count > 0)
            {
                var keys = await http.GetAsync<List<KeyResponse>>(ApiRoutes.Keys, ct);
                foreach (var key in config.Keys)
                {
                    var live = keys.Any(k => k.Label == key.Label && !k.Revoked && k.ExpiresAt > DateTimeOffset.UtcNow);
                    if (live)
                    {
                        continue;
                    }

                    var created = await http.SendAsync<KeyCreated>(HttpMethod.Post, ApiRoutes.Keys, new KeyRequest(key.Ttl, key.Scopes, AgentId: null, SessionId: null, key.Label), safeToRepeat: false, ct);
                    Console.WriteLine($"created key '{key.Label}' ({created.KeyId}): {created.SessionKey}  (shown once)");
                    changes++;
                }
            }

            foreach (var watch in config.Sessions)
            {
                await ReportAsync(http, watch, ct);
            }

            Console.WriteLine(changes == 0 ? "no changes" : $"{changes} change(s) applied");
            return ExitCodes.Ok;
        });
    }

    private static async Task ReportAsync(MeshHttp http, SessionWatch watch, CancellationToken ct)
    {
        if (watch.Filter is { } filter)
        {
            var page = await http.GetAsync<DiscoveryPageResponse>($"{ApiRoutes.Alive}?filter={filter}&limit={MeshLimits.MaxPage}", ct);
            Console.WriteLine($"sessions {filter}: {page.Sessions.Count}{(page.NextCursor is null ? "" : "+")}");
        }
        else if (Guid.TryParse(watch.Id, out var sessionId))
        {
            var session = CliJson.Read<SessionResponse>(await TryGetAsync(http, ApiRoutes.Session(sessionId.ToString()), ct));
            Console.WriteLine(session is null ? $"session {sessionId}: not found" : $"session {sessionId}: {session.Status}");
        }
        else
        {
            var page = await http.GetAsync<DiscoveryPageResponse>($"{ApiRoutes.Alive}?filter=active&agent_id={Uri.EscapeDataString(watch.Id!)}", ct);
            Console.WriteLine($"sessions of agent {watch.Id}: {page.Sessions.Count} active");
        }
    }

    private static async Task<JsonElement?> TryGetAsync(MeshHttp http, string path, CancellationToken ct)
    {
        try
        {
            return await http.GetAsync(path, ct);
        }
        catch (CliException ex) when (ex.ExitCode == ExitCodes.NotFound)
        {
            return null;
        }
    }
}

/// <summary>A parsed, checked mesh description.</summary>
public sealed record MeshConfig(IReadOnlyList<AgentEntry> Agents, IReadOnlyList<KeyEntry> Keys, IReadOnlyList<SessionWatch> Sessions)
{
    private static readonly string[] Filters = ["active", "alive", "stale", "all"];
    private static readonly string[] Scopes = ["admin", "operator", "agent"];

    /// <summary>Reads and checks the whole file; the first problem is reported as "file:line: problem".</summary>
    public static MeshConfig Read(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"{file.FullName}: no such file.");
        }

        var yaml = new YamlStream();
        try
        {
            using var reader = file.OpenText();
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw Problem(file, ex.Start.Line, $"not valid YAML: {ex.Message}");
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw Problem(file, 1, "the file must be a mapping (agents:, keys:, sessions:).");
        }

        var agents = new List<AgentEntry>();
        var keys = new List<KeyEntry>();
        var sessions = new List<SessionWatch>();
        string? shorthandSpec = null;
        string? shorthandAgent = null;
        foreach (var (keyNode, value) in root.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value;
            switch (name)
            {
                case "agents":
                    foreach (var (item, i) in Sequence(file, value, "agents").Select((n, i) => (n, i)))
                    {
                        var map = Mapping(file, item, $"agents[{i}]");
                        var id = Scalar(file, map, "id", $"agents[{i}]", required: true)!;
                        var specs = Strings(file, map, "specializations", $"agents[{i}]");
                        if (Scalar(file, map, "spec", $"agents[{i}]", required: false) is { } one)
                        {
                            specs.Add(one);
                        }

                        if (specs.Count == 0)
                        {
                            throw Problem(file, item.Start.Line, $"agents[{i}]: give 'specializations' (a list) or 'spec'.");
                        }

                        agents.Add(new AgentEntry(CheckName(file, item, id, $"agents[{i}].id"), [.. specs.Select(s => CheckName(file, item, s, $"agents[{i}].specializations"))], Scalar(file, map, "display_name", $"agents[{i}]", required: false)));
                    }

                    break;
                case "spec":
                    shorthandSpec = CheckName(file, value, ScalarValue(file, value, "spec"), "spec");
                    break;
                case "agent_id" or "agent-id":
                    shorthandAgent = CheckName(file, value, ScalarValue(file, value, name), name);
                    break;
                case "keys":
                    foreach (var (item, i) in Sequence(file, value, "keys").Select((n, i) => (n, i)))
                    {
                        var map = Mapping(file, item, $"keys[{i}]");
                        var label = CheckName(file, item, Scalar(file, map, "label", $"keys[{i}]", required: true)!, $"keys[{i}].label");
                        var ttlText = Scalar(file, map, "ttl", $"keys[{i}]", required: true)!;
                        if (!double.TryParse(ttlText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ttl) || ttl <= 0)
                        {
                            throw Problem(file, item.Start.Line, $"keys[{i}].ttl: '{ttlText}' is not a positive number of seconds.");
                        }

                        var scopes = Strings(file, map, "scopes", $"keys[{i}]");
                        if (scopes.FirstOrDefault(s => !Scopes.Contains(s)) is { } bad)
                        {
                            throw Problem(file, item.Start.Line, $"keys[{i}].scopes: '{bad}' is not one of {string.Join(", ", Scopes)}.");
                        }

                        keys.Add(new KeyEntry(label, ttl, scopes.Count == 0 ? ["operator"] : scopes));
                    }

                    break;
                case "sessions":
                    foreach (var (item, i) in Sequence(file, value, "sessions").Select((n, i) => (n, i)))
                    {
                        var map = Mapping(file, item, $"sessions[{i}]");
                        var id = Scalar(file, map, "id", $"sessions[{i}]", required: false);
                        var filter = Scalar(file, map, "filter", $"sessions[{i}]", required: false);
                        if ((id is null) == (filter is null))
                        {
                            throw Problem(file, item.Start.Line, $"sessions[{i}]: give either 'id' or 'filter'.");
                        }

                        if (filter is not null && !Filters.Contains(filter))
                        {
                            throw Problem(file, item.Start.Line, $"sessions[{i}].filter: '{filter}' is not one of {string.Join(", ", Filters)}.");
                        }

                        sessions.Add(new SessionWatch(id is null ? null : CheckName(file, item, id, $"sessions[{i}].id"), filter));
                    }

                    break;
                default:
                    throw Problem(file, keyNode.Start.Line, $"unknown key '{name}' (expected agents, spec, agent_id, keys, sessions).");
            }
        }

        if ((shorthandSpec is null) != (shorthandAgent is null))
        {
            throw Problem(file, root.Start.Line, "'spec' and 'agent_id' go together.");
        }

        if (shorthandSpec is not null)
        {
            agents.Add(new AgentEntry(shorthandAgent!, [shorthandSpec], null));
        }

        return new MeshConfig(agents, keys, sessions);
    }

    private static IEnumerable<YamlNode> Sequence(FileInfo file, YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Problem(file, node.Start.Line, $"'{what}' must be a list.");

    private static YamlMappingNode Mapping(FileInfo file, YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Problem(file, node.Start.Line, $"{what} must be a mapping (key: value).");

    private static string ScalarValue(FileInfo file, YamlNode node, string what) =>
        (node as YamlScalarNode)?.Value ?? throw Problem(file, node.Start.Line, $"'{what}' must be a single value.");

    private static string? Scalar(FileInfo file, YamlMappingNode map, string key, string what, bool required)
    {
        if (map.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return (value as YamlScalarNode)?.Value is { Length: > 0 } text
                ? text
                : throw Problem(file, value.Start.Line, $"{what}.{key} must be a non-empty value.");
        }

        return required ? throw Problem(file, map.Start.Line, $"{what}: '{key}' is required.") : null;
    }

    private static List<string> Strings(FileInfo file, YamlMappingNode map, string key, string what)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return [];
        }

        return value switch
        {
            YamlSequenceNode list => [.. list.Select(n => (n as YamlScalarNode)?.Value ?? throw Problem(file, n.Start.Line, $"{what}.{key} must list plain values."))],
            YamlScalarNode one when one.Value is { Length: > 0 } => [one.Value],
            _ => throw Problem(file, value.Start.Line, $"{what}.{key} must be a list."),
        };
    }

    // Agent ids, specializations, labels and watched ids follow the mesh's one id alphabet (the same
    // source file the server compiles), so a file that passes here is never refused half-applied.
    private static string CheckName(FileInfo file, YamlNode node, string value, string what) =>
        SessionMesh.Errors.MeshIds.Problem(value) is { } problem
            ? throw Problem(file, node.Start.Line, $"{what}: {problem}")
            : value;

    private static CliException Problem(FileInfo file, long line, string problem) => new(ExitCodes.Usage, $"{file.Name}:{line}: {problem}");
}

public sealed record AgentEntry(string Id, IReadOnlyList<string> Specializations, string? DisplayName);

public sealed record KeyEntry(string Label, double Ttl, IReadOnlyList<string> Scopes);

public sealed record SessionWatch(string? Id, string? Filter);
