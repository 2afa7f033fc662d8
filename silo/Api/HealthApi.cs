using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SessionMesh.Grains.Sessions;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Silo.Api;

/// <summary>Health checks: no key needed. Ready means this silo is Active in the cluster and storage answers.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }))
            .WithName("Live").WithSummary("The process is up.");

        app.MapGet("/health/ready", async (HttpContext http, IClusterMembershipService membership, ILocalSiloDetails silo, ISessionCatalog catalog, IOptions<SessionMeshOptions> options) =>
        {
            var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
            if (status != SiloStatus.Active)
            {
                return Results.Problem(statusCode: 503, title: "Not ready", detail: $"This silo is {status} in the cluster, not Active.");
            }

            try
            {
                // A hung database (a frozen server, a held lock) may ignore cancellation: stop waiting
                // at the timeout whatever the driver does, and answer 503 then.
                var limit = options.Value.ReadinessTimeout;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
                timeout.CancelAfter(limit);
                await catalog.GetStatsAsync(timeout.Token).WaitAsync(limit, http.RequestAborted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
            {
                return Results.Problem(statusCode: 503, title: "Not ready", detail: $"Storage does not answer: {ex.GetType().Name}.");
            }

            return Results.Ok(new { status = "ready", silo = silo.SiloAddress.ToString() });
        })
        .ProducesProblems(StatusCodes.Status503ServiceUnavailable)
        .WithName("Ready").WithSummary("The silo is Active in the cluster and its storage answers.");
        return app;
    }
}
