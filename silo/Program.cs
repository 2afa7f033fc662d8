using Orleans.Configuration;
using Orleans.Dashboard;
using SessionMesh.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
var mesh = builder.Configuration.GetSection(SessionMeshOptions.Section).Get<SessionMeshOptions>() ?? new SessionMeshOptions();
builder.WebHost.UseUrls(mesh.HttpUrl);

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

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.MapOrleansDashboard(routePrefix: "/dashboard");

app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
    "SessionMesh silo is up. HTTP: {HttpUrl} (dashboard: {HttpUrl}/dashboard). Orleans gateway: 127.0.0.1:{GatewayPort}. Data: {DataDirectory}. Ctrl-C stops it.",
    mesh.HttpUrl, mesh.HttpUrl, mesh.GatewayPort, Path.GetFullPath(mesh.DataDirectory)));

await app.RunAsync();
