using Microsoft.AspNetCore.Http.Json;
using Orleans.Configuration;
using Orleans.Dashboard;
using Scalar.AspNetCore;
using SessionMesh.Grains.Topology;
using SessionMesh.Silo.Api;
using SessionMesh.Silo.Api.Auth;
using SessionMesh.Silo.Topology;

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

        mesh.PostgresConnectionString ??= builder.Configuration["SESSION_MESH_POSTGRES"];
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = mesh.ClusterId;
                o.ServiceId = mesh.ServiceId;
            });
            if (string.IsNullOrWhiteSpace(mesh.PostgresConnectionString))
            {
                silo.UseLocalhostClustering(mesh.SiloPort, mesh.GatewayPort);
                silo.UseSessionMesh(mesh.DataDirectory);
            }
            else
            {
                silo.ConfigureEndpoints(System.Net.IPAddress.Parse(mesh.AdvertisedAddress), mesh.SiloPort, mesh.GatewayPort, listenOnAnyHostAddress: false);
                silo.UseSessionMesh(mesh.DataDirectory, mesh.PostgresConnectionString);
                silo.UseFastFailover();
            }

            silo.AddDashboard();
        });

        builder.Services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<MeshExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddRequestBodies());
        builder.Services.AddSingleton<DashboardGate>();
        builder.Services.AddTopologyFanOut();
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
        app.MapTopologyPage();

        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
            "SessionMesh silo is up. API: {HttpUrl}/api/session-mesh (reference: {HttpUrl}/api-reference, OpenAPI: {HttpUrl}/openapi/v1.json, dashboard: {HttpUrl}/dashboard). Orleans gateway: {Address}:{GatewayPort}. Data: {Data}. Ctrl-C stops it.",
            mesh.HttpUrl, mesh.HttpUrl, mesh.HttpUrl, mesh.HttpUrl, mesh.AdvertisedAddress, mesh.GatewayPort,
            string.IsNullOrWhiteSpace(mesh.PostgresConnectionString) ? Path.GetFullPath(mesh.DataDirectory) : "PostgreSQL (cluster " + mesh.ClusterId + ")"));
        return app;
    }
}
