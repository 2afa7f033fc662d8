using SessionMesh.Grains.Audit;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The audit of the mesh's invariants and its repair. Admin only. The audit runs in the request
/// itself (not behind a grain call), so an audit of a large mesh is not cut off by a call timeout.
/// </summary>
public static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").RequireAccess(Access.Admin);

        audit.MapGet("/", RunAsync)
            .WithName("Audit")
            .WithSummary("Checks the mesh's invariants across grains, catalog, registry and leases: {\"violations\": [{\"rule\", \"ids\", \"detail\"}], \"checked\": {...}}.")
            .Produces<AuditResponse>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        audit.MapPost("/repair", RepairAsync)
            .WithName("AuditRepair")
            .WithSummary("Audits, asks every session and agent named by a violation to resume its recorded intents, and audits again.")
            .Produces<AuditRepairResponse>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<AuditResponse>> RunAsync(HttpContext http, MeshAuditor auditor) =>
        TypedResults.Ok(Wire.Audit(await auditor.RunAsync(http.RequestAborted)));

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<AuditRepairResponse>> RepairAsync(HttpContext http, MeshAuditor auditor) =>
        TypedResults.Ok(Wire.Repair(await auditor.RepairAsync(http.RequestAborted)));
}
