using Microsoft.AspNetCore.Http.HttpResults;
using SessionMesh.Discovery;
using SessionMesh.Registry;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Api;

/// <summary>Who is alive, which agents do what, and the counts; each route a named handler.</summary>
public static class DiscoveryApi
{
    public static void MapDiscoveryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/alive", DiscoverAsync)
            .WithName("DiscoverSessions")
            .WithSummary("Sessions by filter: active (default), alive, stale or all; optionally of one agent or specialization; paged by cursor.");

        api.MapGet("/registry", SpecializationsAsync)
            .WithName("ListSpecializations")
            .WithSummary("Every specialization with its number of agents.");

        api.MapGet("/registry/{specialization}/agents", FindAgentsAsync)
            .WithName("FindAgents")
            .WithSummary("Agents of a specialization (filter any, alive or idle), ordered by id.");

        api.MapGet("/events", EventsAsync)
            .WithName("RecentEvents")
            .WithSummary("Recent topology events after a sequence number (?after=N), oldest first; a bounded window.");

        api.MapGet("/stats", StatsAsync)
            .WithName("GetStats")
            .WithSummary("Sessions by status, plus sessions expired, agents lost and agents killed.");
    }

    public static async Task<Ok<DiscoveryPageResponse>> DiscoverAsync(HttpContext http, IGrainFactory grains, [AsParameters] DiscoverQuery query)
    {
        var discovery = new DiscoveryQuery
        {
            Filter = ApiInput.Enum("filter", query.Filter, DiscoveryFilter.Active),
            AgentId = query.AgentId,
            Specialization = query.Specialization,
            Limit = ApiInput.Limit(query.Limit),
            Cursor = query.Cursor,
        };
        return TypedResults.Ok(Wire.DiscoveryPage(await Discovery(grains).DiscoverSessionsAsync(discovery, http.RequestAborted)));
    }

    public static async Task<Ok<List<SpecializationResponse>>> SpecializationsAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok((await Discovery(grains).ListSpecializationsAsync(http.RequestAborted)).Select(Wire.Specialization).ToList());

    public static async Task<Ok<List<FoundAgentResponse>>> FindAgentsAsync(HttpContext http, IGrainFactory grains, string specialization, [AsParameters] FindAgentsQuery query) =>
        TypedResults.Ok((await Discovery(grains).FindAgentsAsync(
            specialization, ApiInput.Enum("filter", query.Filter, AgentFilter.Any), query.After, ApiInput.Limit(query.Limit), http.RequestAborted)).Select(Wire.FoundAgent).ToList());

    public static async Task<Ok<List<LoggedEventResponse>>> EventsAsync(HttpContext http, IGrainFactory grains, [AsParameters] AfterQuery query) =>
        TypedResults.Ok((await grains.GetGrain<ITopologyLogGrain>(TopologyStream.Key).ReadAsync(ApiInput.WholeNumber("after", query.After, 0), http.RequestAborted)).Select(Wire.Event).ToList());

    public static async Task<Ok<StatsResponse>> StatsAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(Wire.Stats(await Discovery(grains).GetStatsAsync(http.RequestAborted)));

    private static IDiscoveryGrain Discovery(IGrainFactory grains) => grains.GetGrain<IDiscoveryGrain>(0);
}
