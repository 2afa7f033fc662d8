using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Ends an agent's heartbeat lease on purpose: a runner whose process exited stops heartbeating,
/// and the agent must stay Idle rather than be found Lost a TTL later.
/// </summary>
public static class AgentLeaseApi
{
    public static void MapAgentLeaseApi(this RouteGroupBuilder api)
    {
        api.MapDelete("/agents/{agentId}/heartbeat", ReleaseAsync)
            .RequireAccess(Access.Own)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ReleaseAgentLease")
            .WithSummary("Stops tracking the agent's lease (?epoch=N, its current epoch): a process that ended on purpose is not reported Lost.");

        api.MapPost("/agents/{agentId}/progress", AgentProgressAsync)
            .WithRequestBody<ProgressRequest>()
            .RequireAccess(Access.Own)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ReportAgentProgress")
            .WithSummary("Reports the agent's last progress {\"epoch\", \"progress_at\", \"stall_after\"}: heartbeating with no progress for stall_after seconds is 'stalled'. Memory only.");

        api.MapPost("/sessions/{sessionId}/progress", SessionProgressAsync)
            .WithRequestBody<ProgressRequest>()
            .RequireAccess(Access.Own)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("ReportSessionProgress")
            .WithSummary("Reports the session's last progress {\"agent_epoch\", \"progress_at\", \"stall_after\"}; see the agent's.");
    }

    public static async Task<NoContent> ReleaseAsync(HttpContext http, IGrainFactory grains, string agentId, [AsParameters] EpochQuery query)
    {
        http.DemandAgent(agentId);
        var id = Validate.Id("agent_id", agentId);
        var given = ApiInput.WholeNumber("epoch", query.Epoch, -1);
        if (given < 0)
        {
            throw new InvalidInputException("epoch", "is required (the agent's current epoch).");
        }

        await grains.GetGrain<IAgentGrain>(id).ReleaseLeaseAsync(given, http.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>404 here is not an unknown agent but one holding no lease: answered directly, not thrown.</summary>
    public static async Task<Results<Ok<LeaseResponse>, ProblemHttpResult>> AgentProgressAsync(HttpContext http, IGrainFactory grains, string agentId)
    {
        http.DemandAgent(agentId);
        var body = await JsonBody.ReadAsync<ProgressRequest>(http);
        var (epoch, at, stallAfter) = Check(body, "epoch", body.Epoch);
        var key = LeaseKey.ForAgent(Validate.Id("agent_id", agentId));
        var lease = await LivenessShards.For(grains, key).ReportProgressAsync(key, epoch, at, stallAfter, http.RequestAborted);
        return lease is null ? NoLease($"Agent '{agentId}' holds no heartbeat lease; heartbeat first.") : TypedResults.Ok(Wire.Lease(lease));
    }

    public static async Task<Results<Ok<LeaseResponse>, ProblemHttpResult>> SessionProgressAsync(HttpContext http, IGrainFactory grains, string sessionId)
    {
        var id = (await SessionsApi.ReadOwnAsync(http, grains, sessionId)).Id;
        var body = await JsonBody.ReadAsync<ProgressRequest>(http);
        var (epoch, at, stallAfter) = Check(body, "agent_epoch", body.AgentEpoch ?? 0);
        var key = LeaseKey.ForSession(id);
        var lease = await LivenessShards.For(grains, key).ReportProgressAsync(key, epoch, at, stallAfter, http.RequestAborted);
        return lease is null ? NoLease($"Session {id} holds no heartbeat lease; heartbeat first.") : TypedResults.Ok(Wire.Lease(lease));
    }

    private static ProblemHttpResult NoLease(string detail) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No lease", detail: detail);

    private static (long Epoch, DateTimeOffset At, TimeSpan StallAfter) Check(ProgressRequest body, string epochField, long? epoch)
    {
        var check = new RequestCheck();
        var givenEpoch = check.Required(epochField, epoch);
        var at = check.Required("progress_at", body.ProgressAt);
        var stallAfter = check.Required("stall_after", check.Field(() => ApiInput.Seconds("stall_after", body.StallAfter)));
        check.ThrowIfAny();
        return (givenEpoch, at, stallAfter);
    }
}
