using SessionMesh.Grains.Liveness;
using SessionMesh.Liveness;

namespace SessionMesh.Grains.Agents;

public sealed partial class AgentGrain
{
    public Task ReleaseLeaseAsync(long epoch, CancellationToken cancellationToken = default)
    {
        RequireEpoch(epoch);

        // One-way to the tracker, as every owner call (CallGraph.md): the agent never waits on a shard.
        _ = ShardProtocol.For(GrainFactory, LeaseKey.ForAgent(Id)).ReleaseAsync(LeaseKey.ForAgent(Id));
        return Task.CompletedTask;
    }
}
