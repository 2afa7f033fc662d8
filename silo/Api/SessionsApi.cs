using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The session lifecycle: spawn, read, hand off, complete, fail, lineage, heartbeat. Each route is a
/// named handler; errors are the grains' typed exceptions, turned into problems by
/// <see cref="MeshExceptionHandler"/> and declared here for OpenAPI.
/// </summary>
public static class SessionsApi
{
    public static void MapSessionsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sessions", SpawnAsync)
            .WithRequestBody<SpawnRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity)
            .WithName("SpawnSession")
            .WithSummary("Starts an Active session. With a session_id, repeating the same request returns the same session (safe to retry).");

        api.MapGet("/sessions", ListAsync)
            .WithName("ListSessions")
            .WithSummary("Sessions by status (active, handed_off, completed, failed or all), newest first, paged by cursor.");

        var own = api.MapGroup("/sessions/{sessionId}").RequireAccess(Access.Own).ProducesProblems(StatusCodes.Status404NotFound);

        own.MapGet("/", GetAsync)
            .WithName("GetSession")
            .WithSummary("Reads a session.");

        own.MapPost("/heartbeat", HeartbeatAsync)
            .WithRequestBody<SessionHeartbeatRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("HeartbeatSession")
            .WithSummary("Renews the session's lease (TTL default 30 s); agent_epoch is the epoch of the agent running it.");

        // A process run by `session-mesh run` hands off, completes and fails its own session with its agent key.
        own.MapPost("/handoff", HandoffAsync)
            .WithRequestBody<HandoffRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity)
            .WithName("HandoffSession")
            .WithSummary("Hands an Active session to another agent; returns the new child session. 409 unless Active, or unless child_session_id names the child it was already handed off to (safe to retry).");

        own.MapPost("/complete", CompleteAsync)
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("CompleteSession")
            .WithSummary("Marks an Active session Completed. 409 unless Active.");

        own.MapPost("/fail", FailAsync)
            .WithRequestBody<FailRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("FailSession")
            .WithSummary("Marks an Active session Failed with an error message. 409 unless Active.");

        api.MapGet("/sessions/{sessionId}/lineage", LineageAsync)
            .Produces<IReadOnlyList<SessionSummaryResponse>>()
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("GetLineage")
            .WithSummary("The chain of sessions from the root to this one (root first), without contexts unless include=context.");

        api.MapGet("/sessions/{sessionId}/descendants", DescendantsAsync)
            .Produces<IReadOnlyList<SessionSummaryResponse>>()
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("GetDescendants")
            .WithSummary("The sessions handed off below this one, breadth first, without contexts unless include=context; limit (default 100, at most 500) and cursor page it, the next page in the Link header.");
    }

    public static async Task<Created<SessionResponse>> SpawnAsync(HttpContext http, IGrainFactory grains)
    {
        var (body, _) = await JsonBody.ReadWithDocumentAsync<SpawnRequest>(http, ResultShapes.ThrowIfInvalid);
        var check = new RequestCheck();
        var agentName = check.Required("agent_name", body.AgentName);
        var id = check.Field(() => body.SessionId is null ? Guid.NewGuid() : ApiInput.SessionId(body.SessionId));
        var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
        check.ThrowIfAny();
        check.Field(() => agentName is null ? null : Validate.Name("agent_name", agentName));
        check.Field(() => body.AgentId is null ? null : Validate.Id("agent_id", body.AgentId));
        var context = body.Context?.ToGrain() ?? new SessionContext();
        check.Field(() => { Validate.Context("context", context); return true; });
        check.ThrowIfAny();
        var spawn = new SessionSpawn
        {
            AgentName = agentName,
            Purpose = body.Purpose ?? string.Empty,
            Context = context,
            AgentId = body.AgentId,
            LeaseTtl = ttl,
        };
        var session = await grains.GetGrain<ISessionGrain>(id).StartAsync(spawn, http.RequestAborted);
        return TypedResults.Created($"{MeshApi.Prefix}/sessions/{session.Id}", Wire.Session(session));
    }

    public static async Task<Ok<SessionPageResponse>> ListAsync(HttpContext http, IGrainFactory grains, [AsParameters] SessionListQuery query)
    {
        SessionStatus? filter = string.IsNullOrEmpty(query.Status) || query.Status.Equals("all", StringComparison.OrdinalIgnoreCase)
            ? null
            : ApiInput.Enum("status", query.Status, SessionStatus.Active);
        return TypedResults.Ok(Wire.SessionPage(await grains.GetGrain<ISessionDirectoryGrain>(0).ListAsync(filter, ApiInput.Limit(query.Limit), query.Cursor, http.RequestAborted)));
    }

    public static async Task<Ok<SessionResponse>> GetAsync(HttpContext http, IGrainFactory grains, string sessionId) =>
        TypedResults.Ok(Wire.Session(await ReadOwnAsync(http, grains, sessionId)));

    public static async Task<Ok<LeaseResponse>> HeartbeatAsync(HttpContext http, IGrainFactory grains, HeartbeatCoalescer heartbeats, string sessionId)
    {
        var session = await ReadOwnAsync(http, grains, sessionId);
        var body = await JsonBody.ReadAsync<SessionHeartbeatRequest>(http);
        var ttl = ApiInput.Seconds("ttl", body.Ttl);
        var key = LeaseKey.ForSession(session.Id);
        return TypedResults.Ok(Wire.Lease(await heartbeats.HeartbeatAsync(key, body.AgentEpoch ?? 0, ttl, http.RequestAborted)));
    }

    public static async Task<Created<SessionResponse>> HandoffAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var id = (await ReadOwnAsync(http, grains, sessionId)).Id;
        var (body, _) = await JsonBody.ReadWithDocumentAsync<HandoffRequest>(http, ResultShapes.ThrowIfInvalid);
        var check = new RequestCheck();
        var toAgent = check.Required("to_agent", body.ToAgent);
        var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
        var childId = check.Field(() => body.ChildSessionId is null ? (Guid?)null : ApiInput.SessionId(body.ChildSessionId, "child_session_id"));
        check.ThrowIfAny();
        check.Field(() => toAgent is null ? null : Validate.Name("to_agent", toAgent));
        check.Field(() => body.AgentId is null ? null : Validate.Id("agent_id", body.AgentId));
        var context = body.Context?.ToGrain();
        check.Field(() => { Validate.Context("context", context ?? new SessionContext()); return true; });
        check.ThrowIfAny();
        // No context keeps the parent's (issue, worktree, phase); new results append to the inherited ones.
        var handoff = new SessionHandoff { ToAgent = toAgent, Context = context, Purpose = body.Purpose, AgentId = body.AgentId, LeaseTtl = ttl, ChildSessionId = childId };
        var child = await grains.GetGrain<ISessionGrain>(id).HandoffAsync(handoff, http.RequestAborted);
        return TypedResults.Created($"{MeshApi.Prefix}/sessions/{child.Id}", Wire.Session(child));
    }

    public static async Task<Ok<SessionResponse>> CompleteAsync(HttpContext http, IGrainFactory grains, string sessionId) =>
        TypedResults.Ok(Wire.Session(await grains.GetGrain<ISessionGrain>((await ReadOwnAsync(http, grains, sessionId)).Id).CompleteAsync(http.RequestAborted)));

    public static async Task<Ok<SessionResponse>> FailAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var id = (await ReadOwnAsync(http, grains, sessionId)).Id;
        var body = await JsonBody.ReadAsync<FailRequest>(http);
        var check = new RequestCheck();
        var error = check.Required("error", body.Error);
        check.ThrowIfAny();
        return TypedResults.Ok(Wire.Session(await grains.GetGrain<ISessionGrain>(id).FailAsync(error, http.RequestAborted)));
    }

    public static async Task<IResult> LineageAsync(HttpContext http, IGrainFactory grains, string sessionId, [AsParameters] LineageQuery query)
    {
        var id = ApiInput.SessionId(sessionId);
        var directory = grains.GetGrain<ISessionDirectoryGrain>(0);
        return IncludesContext(query.Include)
            ? TypedResults.Ok(Wire.Session(await directory.GetLineageAsync(id, http.RequestAborted)))
            : TypedResults.Ok(Wire.Summary(await directory.GetLineageSummariesAsync(id, http.RequestAborted)));
    }

    public static async Task<IResult> DescendantsAsync(HttpContext http, IGrainFactory grains, string sessionId, [AsParameters] DescendantsQuery query)
    {
        var id = ApiInput.SessionId(sessionId);
        var withContext = IncludesContext(query.Include);
        var limit = ApiInput.Limit(query.Limit);
        var page = await grains.GetGrain<ISessionDirectoryGrain>(0).GetDescendantPageAsync(id, limit, query.Cursor, withContext, http.RequestAborted);

        // The body stays the array it always was; the next page is announced as an RFC 8288 link.
        if (page.NextCursor is { } next)
        {
            var link = $"?limit={limit}&cursor={Uri.EscapeDataString(next)}{(withContext ? "&include=context" : "")}";
            http.Response.Headers.Link = $"<{MeshApi.Prefix}/sessions/{id}/descendants{link}>; rel=\"next\"";
        }

        return withContext
            ? TypedResults.Ok(Wire.Session(page.Sessions))
            : TypedResults.Ok(Wire.Summary(page.Sessions.Select(SessionSummary.Of)));
    }

    private static bool IncludesContext(string? include) => include switch
    {
        null or "" => false,
        _ when include.Equals("context", StringComparison.OrdinalIgnoreCase) => true,
        _ => throw new InvalidInputException("include", $"the only value is 'context' (got '{(include.Length > 40 ? include[..40] : include)}')."),
    };

    /// <summary>Reads a session the caller may act on: an operator, or a key bound to it or to its agent.</summary>
    internal static async Task<SessionSnapshot> ReadOwnAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var id = ApiInput.SessionId(sessionId);
        var session = await grains.GetGrain<ISessionGrain>(id).GetAsync(http.RequestAborted);
        http.DemandSession(id, session.AgentId);
        return session;
    }
}
