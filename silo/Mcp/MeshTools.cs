using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Errors;
using SessionMesh.Registry;
using SessionMesh.Sessions;
using SessionMesh.Silo.Api.Auth;

// Tool arguments are named as in the HTTP API (snake_case); MCP clients see the parameter names.
#pragma warning disable CA1707

namespace SessionMesh.Silo.Mcp;

/// <summary>
/// The mesh's operations as MCP tools. Each checks the caller's key like the HTTP API does
/// (operators everything; an agent key only its own session) and turns a mesh error into a tool
/// error that names the problem.
/// </summary>
[McpServerToolType]
public sealed class MeshTools(IGrainFactory grains, IHttpContextAccessor http)
{
    [McpServerTool(Name = "discover_sessions", ReadOnly = true), Description("List sessions by liveness: filter active, alive, stale or all; optionally of one agent or specialization.")]
    public Task<string> DiscoverSessionsAsync(
        [Description("active (default), alive, stale or all")] string filter = "active",
        [Description("only sessions of this agent id")] string? agent_id = null,
        [Description("only sessions of agents with this specialization")] string? specialization = null,
        [Description("page size, 1-500")] int limit = 100,
        [Description("next_cursor of the previous page")] string? cursor = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.DiscoveryPage(await grains.GetGrain<IDiscoveryGrain>(0).DiscoverSessionsAsync(new DiscoveryQuery
        {
            Filter = Api.ApiInput.Enum("filter", filter, DiscoveryFilter.Active),
            AgentId = agent_id,
            Specialization = specialization,
            Limit = limit,
            Cursor = cursor,
        }, cancellationToken)));

    [McpServerTool(Name = "find_agents", ReadOnly = true), Description("Registry lookup: the agents registered under a specialization (filter any, alive or idle), or every specialization with counts when none is given.")]
    public Task<string> FindAgentsAsync(
        [Description("the specialization, e.g. code-generation; omit to list specializations")] string? specialization = null,
        [Description("any (default), alive or idle")] string filter = "any",
        CancellationToken cancellationToken = default) =>
        RunAsync<object>(Need.Operator, async () => specialization is null
            ? (await grains.GetGrain<IDiscoveryGrain>(0).ListSpecializationsAsync(cancellationToken)).Select(Api.Wire.Specialization).ToList()
            : (await grains.GetGrain<IDiscoveryGrain>(0).FindAgentsAsync(specialization, Api.ApiInput.Enum("filter", filter, AgentFilter.Any), null, MeshLimits.MaxPage, cancellationToken)).Select(Api.Wire.FoundAgent).ToList());

    [McpServerTool(Name = "register_agent", Idempotent = true), Description("Register an agent under a specialization (creating it if needed); registering again changes nothing.")]
    public Task<string> RegisterAgentAsync(
        [Description("the specialization, e.g. code-generation")] string specialization,
        [Description("the agent's id")] string agent_id,
        [Description("a display name")] string? display_name = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.Agent(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agent_id)).RegisterAsync(specialization, display_name, null, cancellationToken)));

    [McpServerTool(Name = "steer_agent"), Description("Steer an agent: issue a directive (a new direction and an optional message) that its process receives at once.")]
    public Task<string> SteerAgentAsync(
        [Description("the agent's id")] string agent_id,
        [Description("the new direction, e.g. west or 'focus on the parser'")] string direction,
        [Description("a note for the agent")] string? message = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.Directive(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agent_id)).SteerAsync(Validate.Name("direction", direction), message, cancellationToken)));

    [McpServerTool(Name = "kill_agent", Destructive = true), Description("Kill an agent: gracefully (its process gets SIGTERM, then SIGKILL after the grace period) or at once with force; its Active sessions fail with 'killed'.")]
    public Task<string> KillAgentAsync(
        [Description("the agent's id")] string agent_id,
        [Description("kill at once without waiting")] bool force = false,
        [Description("also fail the Active sessions handed off from its sessions (default true)")] bool cascade = true,
        [Description("seconds a graceful kill waits for the agent (default 30)")] double? grace_seconds = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.Agent(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agent_id)).KillAsync(
            new KillRequest { Force = force, Cascade = cascade, Grace = Api.ApiInput.Seconds("grace_seconds", grace_seconds) }, cancellationToken)));

    [McpServerTool(Name = "spawn_session"), Description("Start an Active session for a named agent (e.g. CodeGenAgent), optionally run by an agent id, with an issue number and phase.")]
    public Task<string> SpawnSessionAsync(
        [Description("the agent that runs it, e.g. CodeGenAgent")] string agent_name,
        [Description("what the session is for")] string? purpose = null,
        [Description("the id of the agent process that runs it")] string? agent_id = null,
        [Description("the issue number")] ulong? issue_number = null,
        [Description("the phase: IssueAnalysis, TaskDecomposition, WorktreeCreation, CodeGeneration, Review, Test, PullRequest, CICD or Merge")] string? phase = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.Session(await grains.GetGrain<ISessionGrain>(Guid.NewGuid()).StartAsync(new SessionSpawn
        {
            AgentName = agent_name,
            Purpose = purpose ?? string.Empty,
            Context = Context(issue_number, phase),
            AgentId = agent_id,
        }, cancellationToken)));

    [McpServerTool(Name = "handoff_session"), Description("Hand an Active session to the next agent (e.g. ReviewAgent); returns the new child session. An agent key may hand off its own session.")]
    public Task<string> HandoffSessionAsync(
        [Description("the Active session to hand off")] string session_id,
        [Description("the agent that takes over, e.g. ReviewAgent")] string to_agent,
        [Description("the child's purpose")] string? purpose = null,
        [Description("the child's phase, e.g. Review")] string? phase = null,
        [Description("the id of the agent process that will run the child")] string? agent_id = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(Need.OwnSession(session_id), async () =>
        {
            var session = grains.GetGrain<ISessionGrain>(Api.ApiInput.SessionId(session_id));
            var parent = await session.GetAsync(cancellationToken);
            var context = phase is null ? parent.Context with { PreviousResults = [] } : Context(parent.Context.IssueNumber, phase) with { WorktreePath = parent.Context.WorktreePath };
            return Api.Wire.Session(await session.HandoffAsync(new SessionHandoff { ToAgent = to_agent, Context = context, Purpose = purpose, AgentId = agent_id }, cancellationToken));
        });

    [McpServerTool(Name = "complete_session"), Description("Mark an Active session Completed. An agent key may complete its own session.")]
    public Task<string> CompleteSessionAsync([Description("the Active session")] string session_id, CancellationToken cancellationToken = default) =>
        RunAsync(Need.OwnSession(session_id), async () => Api.Wire.Session(await grains.GetGrain<ISessionGrain>(Api.ApiInput.SessionId(session_id)).CompleteAsync(cancellationToken)));

    [McpServerTool(Name = "fail_session"), Description("Mark an Active session Failed with an error message. An agent key may fail its own session.")]
    public Task<string> FailSessionAsync([Description("the Active session")] string session_id, [Description("why it failed")] string error, CancellationToken cancellationToken = default) =>
        RunAsync(Need.OwnSession(session_id), async () => Api.Wire.Session(await grains.GetGrain<ISessionGrain>(Api.ApiInput.SessionId(session_id)).FailAsync(error, cancellationToken)));

    [McpServerTool(Name = "get_lineage", ReadOnly = true), Description("The chain of sessions from the root to this one (root first), e.g. CodeGen → Review → Test.")]
    public Task<string> GetLineageAsync([Description("the session")] string session_id, CancellationToken cancellationToken = default) =>
        RunAsync(Need.OwnSession(session_id), async () => Api.Wire.Session(await grains.GetGrain<ISessionDirectoryGrain>(0).GetLineageAsync(Api.ApiInput.SessionId(session_id), cancellationToken)));

    [McpServerTool(Name = "get_stats", ReadOnly = true), Description("Counts: sessions by status, sessions expired, agents lost and agents killed.")]
    public Task<string> GetStatsAsync(CancellationToken cancellationToken = default) =>
        RunAsync(Need.Operator, async () => Api.Wire.Stats(await grains.GetGrain<IDiscoveryGrain>(0).GetStatsAsync(cancellationToken)));

    private static SessionContext Context(ulong? issue_number, string? phase) => new()
    {
        IssueNumber = issue_number,
        CurrentPhase = Api.ApiInput.Enum("phase", phase, Phase.IssueAnalysis),
    };

    private async Task<string> RunAsync<T>(Need need, Func<Task<T>> call)
    {
        var caller = MeshMcp.CallerOf(http.HttpContext);
        try
        {
            await need.DemandAsync(caller, grains);
            return JsonSerializer.Serialize(await call(), McpJson.Options);
        }
        catch (SessionMeshException ex)
        {
            var message = ex is InvalidInputException input ? Api.WireNames.Describe(input) : ex.Message; // the tools' parameters are in wire naming too
            throw new McpException($"{ex.GetType().Name.Replace("Exception", string.Empty, StringComparison.Ordinal)}: {message}", ex);
        }
        catch (ForbiddenException ex)
        {
            throw new McpException($"Forbidden: {ex.Message}", ex);
        }
        catch (Api.RequestInvalidException ex)
        {
            throw new McpException($"InvalidInput: {string.Join("; ", ex.Errors.Select(e => $"{e.Key} {string.Join(' ', e.Value)}"))}", ex);
        }
    }

    /// <summary>What a tool needs from the caller's key.</summary>
    private sealed record Need(string? SessionId)
    {
        public static readonly Need Operator = new((string?)null);

        public static Need OwnSession(string session_id) => new(session_id);

        public async Task DemandAsync(Caller caller, IGrainFactory grains)
        {
            if (caller.IsOperator)
            {
                return;
            }

            if (SessionId is null || !caller.Has(Keys.KeyScope.Agent))
            {
                throw new ForbiddenException($"This key's scopes ({string.Join(", ", caller.Scopes)}) do not allow this tool; it needs operator.");
            }

            var id = Api.ApiInput.SessionId(SessionId);
            var session = await grains.GetGrain<ISessionGrain>(id).GetAsync();
            if (!caller.MayActFor(id, session.AgentId))
            {
                throw new ForbiddenException($"This key may not act for session {id}.");
            }
        }
    }
}
