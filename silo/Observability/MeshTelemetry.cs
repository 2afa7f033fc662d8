using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SessionMesh.Grains.Observability;
using SessionMesh.Silo.Api.Auth;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Silo.Observability;

/// <summary>
/// Metrics and traces in one place: Orleans' own meter and activity sources, ASP.NET Core, Npgsql
/// and the mesh's "SessionMesh" meter. Metrics are scraped at <c>/metrics</c> (admin key); both go
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class MeshTelemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddMeshTelemetry(this WebApplicationBuilder builder, SessionMeshOptions mesh)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(mesh);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("sessionmesh-silo", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter("Microsoft.Orleans", MeshMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (mesh.Telemetry.PrometheusEndpoint)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            // Traces cost an activity per call, so they are collected only when they go somewhere.
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal) && !http.Request.Path.StartsWithSegments(MetricsPath, StringComparison.Ordinal))
                .AddNpgsql());
            telemetry.UseOtlpExporter();
        }

        builder.Services.AddHostedService<SessionStatsGauge>();
        return builder;
    }

    /// <summary>The Prometheus scrape endpoint, behind the same admin check as the API's admin calls.</summary>
    public static WebApplication MapMeshMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SessionMeshOptions>>().Value.Telemetry.PrometheusEndpoint)
        {
            return app;
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: http => http.Request.Path == MetricsPath,
            path: null,
            configureBranchedPipeline: branch => branch.Use(RequireAdminAsync),
            optionsName: null);
        return app;
    }

    private static async Task RequireAdminAsync(HttpContext http, RequestDelegate next)
    {
        var passed = new object();
        var outcome = await MeshAuth.FilterAsync(new DefaultEndpointFilterInvocationContext(http), _ => ValueTask.FromResult<object?>(passed));
        if (ReferenceEquals(outcome, passed))
        {
            await next(http);
        }
        else if (outcome is IResult refused)
        {
            await refused.ExecuteAsync(http);
        }
    }
}
