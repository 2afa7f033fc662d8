using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>The session lifecycle: spawn, read, hand off, complete, fail, lineage, heartbeat.</summary>
public static class SessionsApi
{
    public static void MapSessionsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sessions", async (HttpContext http, IGrainFactory grains) =>
        {
            var (body, _) = await JsonBody.ReadWithDocumentAsync<SpawnRequest>(http, ResultShapes.ThrowIfInvalid);
            var check = new RequestCheck();
            var agentName = check.Required("agent_name", body.AgentName);
            var id = check.Field(() => body.SessionId is null ? Guid.NewGuid() : ApiInput.SessionId(body.SessionId));
            var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
            check.ThrowIfAny();
            check.Field(() => agentName is null ? null : Validate.Name("agent_name", agentName));
            check.Field(() => body.AgentId is null ? null : Validate.Id("agent_id", body.AgentId));
            check.Field(() => { Validate.Context("context", body.Context ?? new SessionContext()); return true; });
            check.ThrowIfAny();
            var spawn = new SessionSpawn
            {
                AgentName = agentName,
                Purpose = body.Purpose ?? string.Empty,
                Context = body.Context ?? new SessionContext(),
                AgentId = body.AgentId,
                LeaseTtl = ttl,
            };
            var session = await grains.GetGrain<ISessionGrain>(id).StartAsync(spawn, http.RequestAborted);
            return TypedResults.Created($"{MeshApi.Prefix}/sessions/{session.Id}", session);
        })
        .WithRequestBody<SpawnRequest>()
        .WithName("SpawnSession")
        .WithSummary("Starts an Active session. With a session_id, repeating the same request returns the same session (safe to retry).");

        api.MapGet("/sessions", async (HttpContext http, IGrainFactory grains, string? status, string? limit, string? cursor) =>
        {
            SessionStatus? filter = string.IsNullOrEmpty(status) || status.Equals("all", StringComparison.OrdinalIgnoreCase)
                ? null
                : ApiInput.Enum("status", status, SessionStatus.Active);
            return TypedResults.Ok(await grains.GetGrain<ISessionDirectoryGrain>(0).ListAsync(filter, ApiInput.Limit(limit), cursor, http.RequestAborted));
        })
        .WithName("ListSessions")
        .WithSummary("Sessions by status (active, handed_off, completed, failed or all), newest first, paged by cursor.");

        var own = api.MapGroup("/sessions/{sessionId}").RequireAccess(Access.Own);

        own.MapGet("/", async (HttpContext http, IGrainFactory grains, string sessionId) =>
            TypedResults.Ok(await ReadOwnAsync(http, grains, sessionId)))
        .WithName("GetSession")
        .WithSummary("Reads a session.");

        own.MapPost("/heartbeat", async (HttpContext http, IGrainFactory grains, string sessionId) =>
        {
            var session = await ReadOwnAsync(http, grains, sessionId);
            var body = await JsonBody.ReadAsync<SessionHeartbeatRequest>(http);
            var ttl = ApiInput.Seconds("ttl", body.Ttl);
            var key = LeaseKey.ForSession(session.Id);
            return TypedResults.Ok(await LivenessShards.For(grains, key).HeartbeatAsync(key, body.AgentEpoch ?? 0, ttl, http.RequestAborted));
        })
        .WithRequestBody<SessionHeartbeatRequest>()
        .WithName("HeartbeatSession")
        .WithSummary("Renews the session's lease (TTL default 30 s); agent_epoch is the epoch of the agent running it.");

        api.MapPost("/sessions/{sessionId}/handoff", async (HttpContext http, IGrainFactory grains, string sessionId) =>
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
            check.Field(() => { Validate.Context("context", body.Context ?? new SessionContext()); return true; });
            check.ThrowIfAny();
            // No context keeps the parent's (issue, worktree, phase); new results append to the inherited ones.
            var handoff = new SessionHandoff { ToAgent = toAgent, Context = body.Context, Purpose = body.Purpose, AgentId = body.AgentId, LeaseTtl = ttl, ChildSessionId = childId };
            var child = await grains.GetGrain<ISessionGrain>(id).HandoffAsync(handoff, http.RequestAborted);
            return TypedResults.Created($"{MeshApi.Prefix}/sessions/{child.Id}", child);
        })
        .WithRequestBody<HandoffRequest>()
        .RequireAccess(Access.Own) // a process run by `session-mesh run` hands off its own session with its agent key
        .WithName("HandoffSession")
        .WithSummary("Hands an Active session to another agent; returns the new child session. 409 unless Active, or unless child_session_id names the child it was already handed off to (safe to retry).");

        api.MapPost("/sessions/{sessionId}/complete", async (HttpContext http, IGrainFactory grains, string sessionId) =>
            TypedResults.Ok(await grains.GetGrain<ISessionGrain>((await ReadOwnAsync(http, grains, sessionId)).Id).CompleteAsync(http.RequestAborted)))
        .RequireAccess(Access.Own)
        .WithName("CompleteSession")
        .WithSummary("Marks an Active session Completed. 409 unless Active.");

        api.MapPost("/sessions/{sessionId}/fail", async (HttpContext http, IGrainFactory grains, string sessionId) =>
        {
            var id = (await ReadOwnAsync(http, grains, sessionId)).Id;
            var body = await JsonBody.ReadAsync<FailRequest>(http);
            var check = new RequestCheck();
            var error = check.Required("error", body.Error);
            check.ThrowIfAny();
            return TypedResults.Ok(await grains.GetGrain<ISessionGrain>(id).FailAsync(error, http.RequestAborted));
        })
        .WithRequestBody<FailRequest>()
        .RequireAccess(Access.Own)
        .WithName("FailSession")
        .WithSummary("Marks an Active session Failed with an error message. 409 unless Active.");

        api.MapGet("/sessions/{sessionId}/lineage", async Task<IResult> (HttpContext http, IGrainFactory grains, string sessionId, string? include) =>
        {
            var id = ApiInput.SessionId(sessionId);
            var directory = grains.GetGrain<ISessionDirectoryGrain>(0);
            return IncludesContext(include)
                ? TypedResults.Ok(await directory.GetLineageAsync(id, http.RequestAborted))
                : TypedResults.Ok(await directory.GetLineageSummariesAsync(id, http.RequestAborted));
        })
        .WithName("GetLineage")
        .WithSummary("The chain of sessions from the root to this one (root first), without contexts unless include=context.");

        api.MapGet("/sessions/{sessionId}/descendants", async Task<IResult> (HttpContext http, IGrainFactory grains, string sessionId, string? include, string? limit, string? cursor) =>
        {
            var id = ApiInput.SessionId(sessionId);
            var withContext = IncludesContext(include);
            var page = await grains.GetGrain<ISessionDirectoryGrain>(0).GetDescendantPageAsync(id, ApiInput.Limit(limit), cursor, withContext, http.RequestAborted);

            // The body stays the array it always was; the next page is announced as an RFC 8288 link.
            if (page.NextCursor is { } next)
            {
                var query = $"?limit={ApiInput.Limit(limit)}&cursor={Uri.EscapeDataString(next)}{(withContext ? "&include=context" : "")}";
                http.Response.Headers.Link = $"<{MeshApi.Prefix}/sessions/{id}/descendants{query}>; rel=\"next\"";
            }

            return withContext
                ? TypedResults.Ok(page.Sessions)
                : TypedResults.Ok(page.Sessions.Select(SessionSummary.Of).ToList());
        })
        .WithName("GetDescendants")
        .WithSummary("The sessions handed off below this one, breadth first, without contexts unless include=context; limit (default 100, at most 500) and cursor page it, the next page in the Link header.");
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
