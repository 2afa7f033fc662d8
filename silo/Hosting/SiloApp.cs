using Microsoft.AspNetCore.Http.Json;
using Orleans.Configuration;
using Orleans.Dashboard;
using Scalar.AspNetCore;
using SessionMesh.Silo.Api;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Hosting;

/// <summary>Builds the SessionMesh host: one Orleans silo with the HTTP API, API reference and dashboard.</summary>
public static class SiloApp
{
    /// <summary>Largest request body accepted (413 beyond).</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var mesh = builder.Configuration.GetSection(SessionMeshOptions.Section).Get<SessionMeshOptions>() ?? new SessionMeshOptions();
        builder.WebHost.UseUrls(mesh.HttpUrl);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(mesh.SiloPort, mesh.GatewayPort);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "sessionmesh";
                o.ServiceId = "sessionmesh";
            });
            silo.UseSessionMesh(mesh.DataDirectory);
            silo.AddDashboard();
        });

        builder.Services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<MeshExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddRequestBodies());
        builder.Services.AddSingleton<DashboardGate>();
        builder.Services.AddSingleton(sp => AdminKey.Load(builder.Configuration, mesh, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SessionMesh.Silo.AdminKey")));

        var app = builder.Build();
        _ = app.Services.GetRequiredService<AdminKey>(); // resolve now: the generated key's path is logged at start
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        DashboardGate.Map(app);

        app.MapHealthApi();
        app.MapSessionMeshApi();
        app.MapOpenApi();
        app.MapScalarApiReference("/api-reference");
        app.MapOrleansDashboard(routePrefix: "/dashboard");

        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
            "SessionMesh silo is up. API: {HttpUrl}/api/session-mesh (reference: {HttpUrl}/api-reference, OpenAPI: {HttpUrl}/openapi/v1.json, dashboard: {HttpUrl}/dashboard). Orleans gateway: 127.0.0.1:{GatewayPort}. Data: {DataDirectory}. Ctrl-C stops it.",
            mesh.HttpUrl, mesh.HttpUrl, mesh.HttpUrl, mesh.HttpUrl, mesh.GatewayPort, Path.GetFullPath(mesh.DataDirectory)));
        return app;
    }
}
