using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>The HTTP API: every route under /api/session-mesh, every call authenticated by a session key.</summary>
public static class MeshApi
{
    public const string Prefix = "/" + ApiRoutes.Prefix;

    public static IEndpointRouteBuilder MapSessionMeshApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix)
            .AddEndpointFilter(MeshAuth.FilterAsync)
            .AddEndpointFilter(BufferedJson.FilterAsync)
            .RequireAccess(Access.Operate)
            // Every route: a malformed request, a missing or refused key, a database or silo that did
            // not answer (503, with Retry-After) or answered too late (504).
            .ProducesProblems(
                StatusCodes.Status400BadRequest,
                StatusCodes.Status401Unauthorized,
                StatusCodes.Status403Forbidden,
                StatusCodes.Status503ServiceUnavailable,
                StatusCodes.Status504GatewayTimeout);

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
