using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>The HTTP API: every route under /api/session-mesh, every call authenticated by a session key.</summary>
public static class MeshApi
{
    public const string Prefix = "/api/session-mesh";

    public static IEndpointRouteBuilder MapSessionMeshApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix)
            .AddEndpointFilter(MeshAuth.FilterAsync)
            .AddEndpointFilter(BufferedJson.FilterAsync)
            .RequireAccess(Access.Operate)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        api.MapDiscoveryApi();
        api.MapAgentsApi();
        api.MapSessionsApi();
        api.MapKeysApi();
        api.MapDirectivesStreamApi();
        api.MapLogsApi();
        api.MapAgentLeaseApi();
        api.MapAuditApi();
        api.MapEventsStreamApi();
        return app;
    }
}
