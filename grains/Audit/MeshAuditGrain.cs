using Orleans.Concurrency;
using SessionMesh.Audit;

namespace SessionMesh.Grains.Audit;

/// <summary>The audit as a grain, so a .NET client can run it; the work is <see cref="MeshAuditor"/>'s.</summary>
[StatelessWorker(1)]
[GrainType("mesh-audit")]
public sealed class MeshAuditGrain(MeshAuditor auditor) : Grain, IMeshAuditGrain
{
    public Task<AuditReport> RunAsync(CancellationToken cancellationToken = default) => auditor.RunAsync(cancellationToken);

    public Task<AuditRepair> RepairAsync(CancellationToken cancellationToken = default) => auditor.RepairAsync(cancellationToken);
}
