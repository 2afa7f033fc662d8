using SessionMesh.Discovery;
using SessionMesh.Registry;
using SessionMesh.Silo.Api.Auth;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Api;

/// <summary>Who is alive, which agents do what, and the counts.</summary>
public static class DiscoveryApi
{
    public static void MapDiscoveryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/alive", async (HttpContext http, IGrainFactory grains, string? filter, string? agent_id, string? specialization, string? limit, string? cursor) =>
        {
            var query = new DiscoveryQuery
            {
                Filter = ApiInput.Enum("filter", filter, DiscoveryFilter.Active),
                AgentId = agent_id,
                Specialization = specialization,
                Limit = ApiInput.Limit(limit),
                Cursor = cursor,
            };
            return TypedResults.Ok(await grains.GetGrain<IDiscoveryGrain>(0).DiscoverSessionsAsync(query, http.RequestAborted));
        })
        .WithName("DiscoverSessions")
        .WithSummary("Sessions by filter: active (default), alive, stale or all; optionally of one agent or specialization; paged by cursor.");

        api.MapGet("/registry", async (HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IDiscoveryGrain>(0).ListSpecializationsAsync(http.RequestAborted)))
        .WithName("ListSpecializations")
        .WithSummary("Every specialization with its number of agents.");

        api.MapGet("/registry/{specialization}/agents", async (HttpContext http, IGrainFactory grains, string specialization, string? filter, string? after, string? limit) =>
            TypedResults.Ok(await grains.GetGrain<IDiscoveryGrain>(0).FindAgentsAsync(
                specialization, ApiInput.Enum("filter", filter, AgentFilter.Any), after, ApiInput.Limit(limit), http.RequestAborted)))
        .WithName("FindAgents")
        .WithSummary("Agents of a specialization (filter any, alive or idle), ordered by id.");

        api.MapGet("/events", async (HttpContext http, IGrainFactory grains, string? after) =>
            TypedResults.Ok(await grains.GetGrain<ITopologyLogGrain>(TopologyStream.Key).ReadAsync(ApiInput.WholeNumber("after", after, 0), http.RequestAborted)))
        .WithName("RecentEvents")
        .WithSummary("Recent topology events after a sequence number (?after=N), oldest first; a bounded window.");

        api.MapGet("/stats", async (HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IDiscoveryGrain>(0).GetStatsAsync(http.RequestAborted)))
        .WithName("GetStats")
        .WithSummary("Sessions by status, plus sessions expired, agents lost and agents killed.");
    }
}
