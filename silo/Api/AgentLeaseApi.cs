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
        api.MapDelete("/agents/{agentId}/heartbeat", async (HttpContext http, IGrainFactory grains, string agentId, string? epoch) =>
        {
            http.DemandAgent(agentId);
            var id = Validate.Id("agent_id", agentId);
            var given = ApiInput.WholeNumber("epoch", epoch, -1);
            if (given < 0)
            {
                throw new InvalidInputException("epoch", "is required (the agent's current epoch).");
            }

            await grains.GetGrain<IAgentGrain>(id).ReleaseLeaseAsync(given, http.RequestAborted);
            return TypedResults.NoContent();
        })
        .RequireAccess(Access.Own)
        .WithName("ReleaseAgentLease")
        .WithSummary("Stops tracking the agent's lease (?epoch=N, its current epoch): a process that ended on purpose is not reported Lost.");

        api.MapPost("/agents/{agentId}/progress", async (HttpContext http, IGrainFactory grains, string agentId) =>
        {
            http.DemandAgent(agentId);
            var body = await JsonBody.ReadAsync<ProgressRequest>(http);
            var (epoch, at, stallAfter) = Check(body, "epoch", body.Epoch);
            var key = LeaseKey.ForAgent(Validate.Id("agent_id", agentId));
            var lease = await LivenessShards.For(grains, key).ReportProgressAsync(key, epoch, at, stallAfter, http.RequestAborted);
            return lease is null ? Results.Problem(statusCode: 404, title: "No lease", detail: $"Agent '{agentId}' holds no heartbeat lease; heartbeat first.") : TypedResults.Ok(lease);
        })
        .WithRequestBody<ProgressRequest>()
        .RequireAccess(Access.Own)
        .WithName("ReportAgentProgress")
        .WithSummary("Reports the agent's last progress {\"epoch\", \"progress_at\", \"stall_after\"}: heartbeating with no progress for stall_after seconds is 'stalled'. Memory only.");

        api.MapPost("/sessions/{sessionId}/progress", async (HttpContext http, IGrainFactory grains, string sessionId) =>
        {
            var id = ApiInput.SessionId(sessionId);
            var session = await grains.GetGrain<Sessions.ISessionGrain>(id).GetAsync(http.RequestAborted);
            http.DemandSession(id, session.AgentId);
            var body = await JsonBody.ReadAsync<ProgressRequest>(http);
            var (epoch, at, stallAfter) = Check(body, "agent_epoch", body.AgentEpoch ?? 0);
            var key = LeaseKey.ForSession(id);
            var lease = await LivenessShards.For(grains, key).ReportProgressAsync(key, epoch, at, stallAfter, http.RequestAborted);
            return lease is null ? Results.Problem(statusCode: 404, title: "No lease", detail: $"Session {id} holds no heartbeat lease; heartbeat first.") : TypedResults.Ok(lease);
        })
        .WithRequestBody<ProgressRequest>()
        .RequireAccess(Access.Own)
        .WithName("ReportSessionProgress")
        .WithSummary("Reports the session's last progress {\"agent_epoch\", \"progress_at\", \"stall_after\"}; see the agent's.");
    }

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

/// <summary>POST /agents/{id}/progress and /sessions/{id}/progress.</summary>
public sealed record ProgressRequest(long? Epoch, long? AgentEpoch, DateTimeOffset? ProgressAt, double? StallAfter);
