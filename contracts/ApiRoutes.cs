namespace SessionMesh.Contracts;

/// <summary>
/// The HTTP API's routes as a client addresses them, relative to the server's base address. Ids are
/// escaped here, once. The silo maps the same routes (its templates start with <see cref="Prefix"/>),
/// and a test checks every route here against the silo's OpenAPI document.
/// </summary>
public static class ApiRoutes
{
    /// <summary>Every API route starts with this.</summary>
    public const string Prefix = "api/session-mesh";

    public const string Sessions = Prefix + "/sessions";
    public const string Alive = Prefix + "/alive";
    public const string Registry = Prefix + "/registry";
    public const string Steer = Prefix + "/steer";
    public const string Stats = Prefix + "/stats";
    public const string Events = Prefix + "/events";
    public const string EventStream = Events + "/stream";
    public const string Keys = Prefix + "/keys";
    public const string Audit = Prefix + "/audit";
    public const string AuditRepair = Audit + "/repair";

    public static string Session(string sessionId) => $"{Sessions}/{Uri.EscapeDataString(sessionId)}";

    public static string SessionHeartbeat(string sessionId) => Session(sessionId) + "/heartbeat";

    public static string SessionProgress(string sessionId) => Session(sessionId) + "/progress";

    public static string Handoff(string sessionId) => Session(sessionId) + "/handoff";

    public static string Complete(string sessionId) => Session(sessionId) + "/complete";

    public static string Fail(string sessionId) => Session(sessionId) + "/fail";

    public static string Lineage(string sessionId) => Session(sessionId) + "/lineage";

    public static string Descendants(string sessionId) => Session(sessionId) + "/descendants";

    public static string Logs(string sessionId) => Session(sessionId) + "/logs";

    public static string Agent(string agentId) => $"{Prefix}/agents/{Uri.EscapeDataString(agentId)}";

    public static string AgentHeartbeat(string agentId) => Agent(agentId) + "/heartbeat";

    public static string AgentProgress(string agentId) => Agent(agentId) + "/progress";

    public static string Directives(string agentId) => Agent(agentId) + "/directives";

    public static string DirectiveStream(string agentId) => Directives(agentId) + "/stream";

    public static string Acknowledgements(string agentId) => Agent(agentId) + "/acknowledgements";

    public static string Key(string keyId) => $"{Keys}/{Uri.EscapeDataString(keyId)}";
}
