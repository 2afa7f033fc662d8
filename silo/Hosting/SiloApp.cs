using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Scalar.AspNetCore;
using SessionMesh.Grains.Topology;
using SessionMesh.Silo.Api;
using SessionMesh.Silo.Api.Auth;
using SessionMesh.Silo.Observability;
using SessionMesh.Silo.Security;
using SessionMesh.Silo.Mcp;
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
        builder.Configuration.AddSiloDefaults();
        var mesh = builder.Configuration.ReadSessionMeshOptions();
        builder.Services.AddOptions<SessionMeshOptions>().BindConfiguration(SessionMeshOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SessionMeshOptions>, SessionMeshOptionsValidator>();
        if (!builder.Configuration.HasStandardUrls())
        {
            // ASP.NET Core's own switches (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints) win.
            builder.WebHost.UseUrls(mesh.HttpUrl);
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.WebHost.ConfigureKestrel(k => k.RequestHeaderEncodingSelector = _ => System.Text.Encoding.Latin1); // a non-ASCII Authorization reaches the app and is a 401, not Kestrel's bare 400

        var cluster = SessionMeshOptionsValidator.IsCluster(mesh, builder.Configuration);
        var kubernetes = cluster && mesh.KubernetesHosting && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));
        builder.UseOrleans(silo =>
        {
            if (kubernetes)
            {
                // Cluster and service ids from the pod's labels, its IP from POD_IP, dead pods leave membership.
                silo.UseKubernetesHosting();
            }
            else
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = mesh.ClusterId;
                    o.ServiceId = mesh.ServiceId;
                });
            }

            if (!cluster)
            {
                silo.UseLocalhostClustering(mesh.SiloPort, mesh.GatewayPort);
                silo.UseSessionMesh(mesh.DataDirectory);
            }
            else
            {
                if (!kubernetes)
                {
                    silo.ConfigureEndpoints(SessionMeshOptionsValidator.ResolveAddress(mesh.AdvertisedAddress)!, mesh.SiloPort, mesh.GatewayPort, listenOnAnyHostAddress: false);
                }

                silo.UseSessionMesh(mesh.DataDirectory, mesh.PostgresConnectionString);
                silo.UseFastFailover();
                if (mesh.DistributedGrainDirectory)
                {
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10; opt-in, measured in FailoverMeasurementTests
                    silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
                }
            }

            silo.AddDashboard();
            silo.AddActivityPropagation();
            silo.UseMeshTls(builder.Configuration, mesh.DataDirectory, clustered: cluster);
        });
        builder.AddMeshTelemetry(mesh);

        builder.Services.Configure<JsonOptions>(o => ApiJson.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<MeshExceptionHandler>();
        builder.Services.AddOpenApi(o => o.AddMeshApiDocs());
        builder.Services.AddSingleton<AgentKillSignals>();
        builder.Services.AddSingleton(sp => new SessionMesh.Liveness.HeartbeatCoalescer(sp.GetRequiredService<IGrainFactory>()));
        builder.Services.AddTopologyFanOut();
        builder.Services.AddSingleton<KeyVerifier>();
        builder.Services.AddSingleton<AuthThrottle>();
        builder.Services.AddMeshSignIn();
        builder.Services.AddSessionMeshMcp();
        builder.Services.AddSingleton(sp => AdminKey.Load(builder.Configuration, mesh, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SessionMesh.Silo.AdminKey")));

        var app = builder.Build();
        _ = app.Services.GetRequiredService<AdminKey>(); // resolve now: the generated key's path is logged at start
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        DashboardGate.Map(app);

        app.MapHealthApi();
        app.MapSessionMeshApi();
        app.MapSessionMeshMcp();
        app.MapOpenApi();
        app.MapScalarApiReference("/api-reference");
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapTopologyPage();

        app.MapMeshMetrics();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var httpUrl = app.ListeningUrl(mesh.HttpUrl);
            var silo = app.Services.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>();
            app.Logger.LogInformation(
                "SessionMesh silo is up. API: {HttpUrl}/api/session-mesh (reference: {HttpUrl}/api-reference, OpenAPI: {HttpUrl}/openapi/v1.json, dashboard: {HttpUrl}/dashboard, metrics: {HttpUrl}/metrics). Orleans gateway: {Gateway}. Data: {Data}. Ctrl-C stops it.",
                httpUrl, httpUrl, httpUrl, httpUrl, httpUrl, silo.GatewayAddress?.Endpoint.ToString() ?? "none",
                cluster ? "PostgreSQL (cluster " + app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId + ")" : Path.GetFullPath(mesh.DataDirectory));
        });
        return app;
    }

    /// <summary>Runs the silo until Ctrl-C; bad settings are reported as one message each and exit 2, never a stack trace.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Create(args);
        }
        catch (OptionsValidationException ex)
        {
            return ReportSettings(ex);
        }
        catch (MeshTlsConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"SessionMesh silo not started: {ex.Message}");
            return 1;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            return ReportSettings(ex);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static int ReportSettings(OptionsValidationException ex)
    {
        foreach (var failure in ex.Failures)
        {
            Console.Error.WriteLine($"SessionMesh cannot start: {failure}");
        }

        return 2;
    }
}
