using System.CommandLine;
using SessionMesh.Contracts;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>keys create | list | revoke (admin key needed).</summary>
public static class KeyCommands
{
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var ttl = new Option<double>("--ttl") { Description = "Lifetime in seconds.", Required = true };
        var scopes = new Option<string[]>("--scope") { Description = "admin, operator (default) or agent; repeatable.", AllowMultipleArgumentsPerToken = true };
        scopes.AcceptOnlyFromAmong("admin", "operator", "agent");
        var agent = Optional<string>("--agent-id", "Bind an agent-scoped key to this agent.");
        var session = Optional<string>("--session-id", "Bind an agent-scoped key to this session.");
        var label = Optional<string>("--label", "A name for the key.");
        var create = Create("create", """
            Create a session key; it is printed once and never again.
              session-mesh keys create --ttl 3600
              session-mesh keys create --ttl 600 --scope agent --agent-id 123
            """, ttl, scopes, agent, session, label).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var requested = parse.GetValue(scopes);
            var body = new KeyRequest(parse.GetValue(ttl), requested is { Length: > 0 } ? requested : null, parse.GetValue(agent), parse.GetValue(session), parse.GetValue(label));
            Globals.Out(parse).Write(await http.SendAsync(HttpMethod.Post, ApiRoutes.Keys, body, safeToRepeat: false, ct), Output.Fields);
            return ExitCodes.Ok;
        });

        var list = Create("list", "List keys as a tree (each key under the key that minted it): ids, scopes, expiry, never secrets.\n  session-mesh keys list").Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            Globals.Out(parse).Write(await http.GetAsync(ApiRoutes.Keys, ct), keys => Output.Rows(KeyTree(keys),
                ("key id", k => new string(' ', 2 * Depth(k)) + Output.Field(k, "key_id")),
                ("parent", k => Output.Field(k, "parent_key_id")),
                ("label", k => Output.Field(k, "label")),
                ("scopes", k => Output.Field(k, "scopes")),
                ("expires", k => Output.Field(k, "expires_at")),
                ("revoked", k => Output.Field(k, "revoked")),
                ("bound to", k => Output.Field(k, "agent_id") + Output.Field(k, "session_id"))));
            return ExitCodes.Ok;
        });

        var keyId = Required("--key-id", "The key's id.");
        var revoke = Create("revoke", "Revoke a key.\n  session-mesh keys revoke --key-id 0f3a…", keyId).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            Globals.Out(parse).Write(await http.SendAsync(HttpMethod.Delete, ApiRoutes.Key(parse.GetValue(keyId)!), null, safeToRepeat: true, ct), Output.Fields);
            return ExitCodes.Ok;
        });

        root.Subcommands.Add(Create("keys", "Session keys: create, list, revoke.", create, list, revoke));
    }

    private static int Depth(System.Text.Json.JsonElement key) =>
        key.TryGetProperty("depth", out var depth) && depth.TryGetInt32(out var d) ? Math.Clamp(d, 0, 16) : 0;

    // Keys in tree order: each root (newest first as listed), then the keys it minted beneath it.
    private static List<System.Text.Json.JsonElement> KeyTree(System.Text.Json.JsonElement keys)
    {
        var all = keys.EnumerateArray().ToList();
        var ids = all.Select(k => Output.Field(k, "key_id")).ToHashSet(StringComparer.Ordinal);
        var children = all.ToLookup(k => Output.Field(k, "parent_key_id"), StringComparer.Ordinal);
        var ordered = new List<System.Text.Json.JsonElement>();
        void Add(System.Text.Json.JsonElement key, int depth)
        {
            ordered.Add(key);
            if (depth < 16)
            {
                foreach (var child in children[Output.Field(key, "key_id")])
                {
                    Add(child, depth + 1);
                }
            }
        }

        foreach (var root in all.Where(k => !ids.Contains(Output.Field(k, "parent_key_id"))))
        {
            Add(root, 0);
        }

        return ordered;
    }
}
