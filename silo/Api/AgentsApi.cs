using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>Registry, steering, kill and the agent side (heartbeat, directives, acknowledgements).</summary>
public static class AgentsApi
{
    public static void MapAgentsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/registry", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await JsonBody.ReadAsync<RegistryRequest>(http);
            var check = new RequestCheck();
            var spec = check.Required("specialization", body.Specialization);
            var agentId = check.Required("agent_id", body.AgentId);
            check.Field(() => spec is null ? null : Validate.Id("specialization", spec));
            check.Field(() => agentId is null ? null : Validate.Id("agent_id", agentId));
            var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
            check.ThrowIfAny();
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(agentId).RegisterAsync(spec, body.DisplayName, ttl, http.RequestAborted));
        })
        .WithRequestBody<RegistryRequest>()
        .WithName("RegisterSpecialization")
        .WithSummary("Registers an agent under a specialization (creating the agent if needed). Registering again changes nothing.");

        api.MapDelete("/registry/{specialization}/agents/{agentId}", async (HttpContext http, IGrainFactory grains, string specialization, string agentId) =>
            TypedResults.Ok(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId)).DeregisterAsync(Validate.Id("specialization", specialization), http.RequestAborted)))
        .WithName("DeregisterSpecialization")
        .WithSummary("Removes a specialization from an agent.");

        api.MapPost("/steer", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await JsonBody.ReadAsync<SteerRequest>(http);
            var check = new RequestCheck();
            var agentId = check.Required("agent_id", body.AgentId);
            var direction = check.Required("direction", body.Direction);
            check.Field(() => agentId is null ? null : Validate.Id("agent_id", agentId));
            check.Field(() => direction is null ? null : Validate.Name("direction", direction));
            check.ThrowIfAny();
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(agentId).SteerAsync(direction, body.Message, http.RequestAborted));
        })
        .WithRequestBody<SteerRequest>()
        .WithName("SteerAgent")
        .WithSummary("Issues a directive to an agent and sets its direction; returns the directive.");

        api.MapDelete("/agents/{agentId}", async (HttpContext http, IGrainFactory grains, string agentId, string? force, string? cascade, double? grace) =>
        {
            var request = new KillRequest
            {
                Force = ApiInput.Flag("force", force, false),
                Cascade = ApiInput.Flag("cascade", cascade, true),
                Grace = ApiInput.Seconds("grace", grace),
            };
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId)).KillAsync(request, http.RequestAborted));
        })
        .WithName("KillAgent")
        .WithSummary("Kills an agent: gracefully (Draining until it acknowledges), or at once with ?force=true. 404 if unknown.");

        var own = api.MapGroup("/agents/{agentId}").RequireAccess(Access.Own);

        own.MapGet("/", async (HttpContext http, IGrainFactory grains, string agentId) =>
        {
            http.DemandAgent(agentId);
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId)).GetAsync(http.RequestAborted));
        })
        .WithName("GetAgent")
        .WithSummary("Reads an agent.");

        own.MapPost("/heartbeat", async (HttpContext http, IGrainFactory grains, string agentId) =>
        {
            http.DemandAgent(agentId);
            var body = await JsonBody.ReadAsync<AgentHeartbeatRequest>(http);
            var check = new RequestCheck();
            var epoch = check.Required("epoch", body.Epoch);
            var ttl = check.Field(() => ApiInput.Seconds("ttl", body.Ttl));
            check.ThrowIfAny();
            var key = LeaseKey.ForAgent(Validate.Id("agent_id", agentId));
            return TypedResults.Ok(await LivenessShards.For(grains, key).HeartbeatAsync(key, epoch, ttl, http.RequestAborted));
        })
        .WithRequestBody<AgentHeartbeatRequest>()
        .WithName("HeartbeatAgent")
        .WithSummary("Renews the agent's lease (TTL default 30 s). A stale epoch is 409.");

        own.MapGet("/directives", async (HttpContext http, IGrainFactory grains, string agentId, string? after, string? limit) =>
        {
            http.DemandAgent(agentId);
            var since = ApiInput.WholeNumber("after", after, 0);
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId)).GetDirectivesAsync(since, ApiInput.Limit(limit), http.RequestAborted));
        })
        .WithName("GetDirectives")
        .WithSummary("Directives issued after a sequence number (?after=N), oldest first.");

        own.MapPost("/acknowledgements", async (HttpContext http, IGrainFactory grains, string agentId) =>
        {
            http.DemandAgent(agentId);
            var body = await JsonBody.ReadAsync<AcknowledgeRequest>(http);
            var check = new RequestCheck();
            var epoch = check.Required("epoch", body.Epoch);
            var sequence = check.Required("sequence", body.Sequence);
            check.ThrowIfAny();
            return TypedResults.Ok(await grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId)).AcknowledgeAsync(epoch, sequence, http.RequestAborted));
        })
        .WithRequestBody<AcknowledgeRequest>()
        .WithName("AcknowledgeDirectives")
        .WithSummary("Acknowledges every directive up to a sequence number. A stale epoch is 409.");
    }
}
