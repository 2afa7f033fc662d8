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
            var id = ApiInput.SessionId(sessionId);
            var (body, _) = await JsonBody.ReadWithDocumentAsync<HandoffRequest>(http, ResultShapes.ThrowIfInvalid);
            var check = new RequestCheck();
            var toAgent = check.Required("to_agent", body.ToAgent);
            var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
            check.ThrowIfAny();
            check.Field(() => toAgent is null ? null : Validate.Name("to_agent", toAgent));
            check.Field(() => body.AgentId is null ? null : Validate.Id("agent_id", body.AgentId));
            check.Field(() => { Validate.Context("context", body.Context ?? new SessionContext()); return true; });
            check.ThrowIfAny();
            var handoff = new SessionHandoff { ToAgent = toAgent, Context = body.Context ?? new SessionContext(), Purpose = body.Purpose, AgentId = body.AgentId, LeaseTtl = ttl };
            var child = await grains.GetGrain<ISessionGrain>(id).HandoffAsync(handoff, http.RequestAborted);
            return TypedResults.Created($"{MeshApi.Prefix}/sessions/{child.Id}", child);
        })
        .WithRequestBody<HandoffRequest>()
        .WithName("HandoffSession")
        .WithSummary("Hands an Active session to another agent; returns the new child session. 409 unless Active.");

        api.MapPost("/sessions/{sessionId}/complete", async (HttpContext http, IGrainFactory grains, string sessionId) =>
            TypedResults.Ok(await grains.GetGrain<ISessionGrain>(ApiInput.SessionId(sessionId)).CompleteAsync(http.RequestAborted)))
        .WithName("CompleteSession")
        .WithSummary("Marks an Active session Completed. 409 unless Active.");

        api.MapPost("/sessions/{sessionId}/fail", async (HttpContext http, IGrainFactory grains, string sessionId) =>
        {
            var id = ApiInput.SessionId(sessionId);
            var body = await JsonBody.ReadAsync<FailRequest>(http);
            var check = new RequestCheck();
            var error = check.Required("error", body.Error);
            check.ThrowIfAny();
            return TypedResults.Ok(await grains.GetGrain<ISessionGrain>(id).FailAsync(error, http.RequestAborted));
        })
        .WithRequestBody<FailRequest>()
        .WithName("FailSession")
        .WithSummary("Marks an Active session Failed with an error message. 409 unless Active.");

        api.MapGet("/sessions/{sessionId}/lineage", async (HttpContext http, IGrainFactory grains, string sessionId) =>
            TypedResults.Ok(await grains.GetGrain<ISessionDirectoryGrain>(0).GetLineageAsync(ApiInput.SessionId(sessionId), http.RequestAborted)))
        .WithName("GetLineage")
        .WithSummary("The chain of sessions from the root to this one (root first).");

        api.MapGet("/sessions/{sessionId}/descendants", async (HttpContext http, IGrainFactory grains, string sessionId) =>
            TypedResults.Ok(await grains.GetGrain<ISessionDirectoryGrain>(0).GetDescendantsAsync(ApiInput.SessionId(sessionId), http.RequestAborted)))
        .WithName("GetDescendants")
        .WithSummary("Every session handed off below this one, breadth first.");
    }

    private static async Task<SessionSnapshot> ReadOwnAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var id = ApiInput.SessionId(sessionId);
        var session = await grains.GetGrain<ISessionGrain>(id).GetAsync(http.RequestAborted);
        http.DemandSession(id, session.AgentId);
        return session;
    }
}
