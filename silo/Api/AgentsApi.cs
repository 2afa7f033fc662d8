using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>Registry, steering, kill and the agent side (heartbeat, directives, acknowledgements), each route a named handler.</summary>
public static class AgentsApi
{
    public static void MapAgentsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/registry", RegisterAsync)
            .WithRequestBody<RegistryRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("RegisterSpecialization")
            .WithSummary("Registers an agent under a specialization (creating the agent if needed). Registering again changes nothing.");

        api.MapDelete("/registry/{specialization}/agents/{agentId}", DeregisterAsync)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithName("DeregisterSpecialization")
            .WithSummary("Removes a specialization from an agent.");

        api.MapPost("/steer", SteerAsync)
            .WithRequestBody<SteerRequest>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("SteerAgent")
            .WithSummary("Issues a directive to an agent and sets its direction; returns the directive.");

        api.MapDelete("/agents/{agentId}", KillAsync)
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithName("KillAgent")
            .WithSummary("Kills an agent: gracefully (Draining until it acknowledges), or at once with ?force=true. 404 if unknown.");

        var own = api.MapGroup("/agents/{agentId}").RequireAccess(Access.Own).ProducesProblems(StatusCodes.Status404NotFound);

        own.MapGet("/", GetAsync)
            .WithName("GetAgent")
            .WithSummary("Reads an agent.");

        own.MapPost("/heartbeat", HeartbeatAsync)
            .WithRequestBody<AgentHeartbeatRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("HeartbeatAgent")
            .WithSummary("Renews the agent's lease (TTL default 30 s). A stale epoch is 409.");

        own.MapGet("/directives", DirectivesAsync)
            .WithWireFieldNames(("afterSequence", "after"))
            .WithName("GetDirectives")
            .WithSummary("Directives issued after a sequence number (?after=N), oldest first.");

        own.MapPost("/acknowledgements", AcknowledgeAsync)
            .WithRequestBody<AcknowledgeRequest>()
            .ProducesProblems(StatusCodes.Status409Conflict)
            .WithName("AcknowledgeDirectives")
            .WithSummary("Acknowledges every directive up to a sequence number. A stale epoch is 409.");
    }

    public static async Task<Ok<AgentResponse>> RegisterAsync(HttpContext http, IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<RegistryRequest>(http);
        var check = new RequestCheck();
        var spec = check.Required("specialization", body.Specialization);
        var agentId = check.Required("agent_id", body.AgentId);
        check.Field(() => spec is null ? null : Validate.Id("specialization", spec));
        check.Field(() => agentId is null ? null : Validate.Id("agent_id", agentId));
        var ttl = check.Field(() => ApiInput.Seconds("lease_ttl", body.LeaseTtl));
        check.ThrowIfAny();
        return TypedResults.Ok(Wire.Agent(await grains.GetGrain<IAgentGrain>(agentId).RegisterAsync(spec, body.DisplayName, ttl, http.RequestAborted)));
    }

    public static async Task<Ok<AgentResponse>> DeregisterAsync(HttpContext http, IGrainFactory grains, string specialization, string agentId) =>
        TypedResults.Ok(Wire.Agent(await Agent(grains, agentId).DeregisterAsync(Validate.Id("specialization", specialization), http.RequestAborted)));

    public static async Task<Ok<DirectiveResponse>> SteerAsync(HttpContext http, IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<SteerRequest>(http);
        var check = new RequestCheck();
        var agentId = check.Required("agent_id", body.AgentId);
        var direction = check.Required("direction", body.Direction);
        check.Field(() => agentId is null ? null : Validate.Id("agent_id", agentId));
        check.Field(() => direction is null ? null : Validate.Name("direction", direction));
        check.ThrowIfAny();
        return TypedResults.Ok(Wire.Directive(await grains.GetGrain<IAgentGrain>(agentId).SteerAsync(direction, body.Message, http.RequestAborted)));
    }

    public static async Task<Ok<AgentResponse>> KillAsync(HttpContext http, IGrainFactory grains, string agentId, [AsParameters] KillQuery query)
    {
        var request = new KillRequest
        {
            Force = ApiInput.Flag("force", query.Force, false),
            Cascade = ApiInput.Flag("cascade", query.Cascade, true),
            Grace = ApiInput.Seconds("grace", query.Grace),
        };
        return TypedResults.Ok(Wire.Agent(await Agent(grains, agentId).KillAsync(request, http.RequestAborted)));
    }

    public static async Task<Ok<AgentResponse>> GetAsync(HttpContext http, IGrainFactory grains, string agentId)
    {
        http.DemandAgent(agentId);
        return TypedResults.Ok(Wire.Agent(await Agent(grains, agentId).GetAsync(http.RequestAborted)));
    }

    public static async Task<Ok<LeaseResponse>> HeartbeatAsync(HttpContext http, HeartbeatCoalescer heartbeats, string agentId)
    {
        http.DemandAgent(agentId);
        var body = await JsonBody.ReadAsync<AgentHeartbeatRequest>(http);
        var check = new RequestCheck();
        var epoch = check.Required("epoch", body.Epoch);
        var ttl = check.Field(() => ApiInput.Seconds("ttl", body.Ttl));
        check.ThrowIfAny();
        var key = LeaseKey.ForAgent(Validate.Id("agent_id", agentId));
        return TypedResults.Ok(Wire.Lease(await heartbeats.HeartbeatAsync(key, epoch, ttl, http.RequestAborted)));
    }

    public static async Task<Ok<List<DirectiveResponse>>> DirectivesAsync(HttpContext http, IGrainFactory grains, string agentId, [AsParameters] DirectivesQuery query)
    {
        http.DemandAgent(agentId);
        var since = ApiInput.WholeNumber("after", query.After, 0);
        return TypedResults.Ok((await Agent(grains, agentId).GetDirectivesAsync(since, ApiInput.Limit(query.Limit), http.RequestAborted)).Select(Wire.Directive).ToList());
    }

    public static async Task<Ok<AgentResponse>> AcknowledgeAsync(HttpContext http, IGrainFactory grains, string agentId)
    {
        http.DemandAgent(agentId);
        var body = await JsonBody.ReadAsync<AcknowledgeRequest>(http);
        var check = new RequestCheck();
        var epoch = check.Required("epoch", body.Epoch);
        var sequence = check.Required("sequence", body.Sequence);
        check.ThrowIfAny();
        return TypedResults.Ok(Wire.Agent(await Agent(grains, agentId).AcknowledgeAsync(epoch, sequence, http.RequestAborted)));
    }

    private static IAgentGrain Agent(IGrainFactory grains, string agentId) => grains.GetGrain<IAgentGrain>(Validate.Id("agent_id", agentId));
}
