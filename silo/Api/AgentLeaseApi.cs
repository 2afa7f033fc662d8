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
            var id = Validate.Name("agent_id", agentId);
            var current = await grains.GetGrain<IAgentGrain>(id).GetAsync(http.RequestAborted);
            var given = ApiInput.WholeNumber("epoch", epoch, -1);
            if (given < 0)
            {
                throw new InvalidInputException("epoch", "is required (the agent's current epoch).");
            }

            if (given != current.Epoch)
            {
                throw new StaleEpochException(id, given, current.Epoch);
            }

            var key = LeaseKey.ForAgent(id);
            await LivenessShards.For(grains, key).ReleaseAsync(key);
            return TypedResults.NoContent();
        })
        .RequireAccess(Access.Own)
        .WithName("ReleaseAgentLease")
        .WithSummary("Stops tracking the agent's lease (?epoch=N, its current epoch): a process that ended on purpose is not reported Lost.");
    }
}
