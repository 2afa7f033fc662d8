namespace SessionMesh.Audit;

/// <summary>
/// Checks the mesh's invariants across session and agent grains, the session catalog, the
/// specialization registry and the liveness leases. An admin tool: it pages through everything,
/// so it is never called on a hot path. Use key 0; it runs as a stateless worker on every silo.
/// </summary>
[Alias("SessionMesh.Audit.IMeshAuditGrain")]
public interface IMeshAuditGrain : IGrainWithIntegerKey
{
    /// <summary>Runs every check once and reports each violation with the ids it concerns.</summary>
    [Alias("run")]
    Task<AuditReport> RunAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the audit, asks every grain named by a violation to resume its recorded intents
    /// (<see cref="Recovery.IResumableGrain"/>), then audits again.
    /// </summary>
    [Alias("repair")]
    Task<AuditRepair> RepairAsync(CancellationToken cancellationToken = default);
}
