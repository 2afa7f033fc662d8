using SessionMesh.Silo.Api;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Mcp;

/// <summary>
/// The mesh as a Model Context Protocol server at /mcp (Streamable HTTP), on every silo, behind the
/// same Bearer session keys as the HTTP API.
/// </summary>
public static class MeshMcp
{
    public const string Path = "/mcp";

    private const string CallerItem = "sessionmesh.mcp-caller";

    public static IServiceCollection AddSessionMeshMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddMcpServer(o => o.ServerInfo = new() { Name = "session-mesh", Version = "1.0" })
            .WithHttpTransport()
            .WithTools<MeshTools>(McpJson.Options);
        return services;
    }

    /// <summary>Maps /mcp; every request needs a valid key (401 otherwise), scopes are checked per tool.</summary>
    public static WebApplication MapSessionMeshMcp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), mcp => mcp.Use(async (http, next) =>
        {
            var caller = await MeshAuth.AuthenticateAsync(http);
            if (caller is null)
            {
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"session-mesh\"";
                await http.Response.WriteAsJsonAsync(new { status = 401, title = "Unauthorized", detail = "Send a valid session key as 'Authorization: Bearer <key>'." }, http.RequestAborted);
                return;
            }

            http.Items[CallerItem] = caller;
            await next(http);
        }));
        app.MapMcp(Path);
        return app;
    }

    /// <summary>The caller of the MCP request being served.</summary>
    internal static Caller CallerOf(HttpContext? http) =>
        http?.Items[CallerItem] as Caller ?? throw new ModelContextProtocol.McpException("Unauthorized: no session key on this request.");
}

/// <summary>The API's JSON conventions (snake_case, enums by name) for tool arguments and results.</summary>
internal static class McpJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = Create();

    private static System.Text.Json.JsonSerializerOptions Create()
    {
        var options = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        ApiJson.Configure(options); // its resolver too: results keep their "type" (a plain resolver wrote them as {})
        return options;
    }
}
