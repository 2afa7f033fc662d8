using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Liveness;
using SessionMesh.Registry;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Topology;

namespace SessionMesh.Tests.Agents;

/// <summary>Stored rows and reminders are keyed by grain type names: they must never change, whatever a class is called.</summary>
[Collection(SessionClusterCollection.Name)]
public sealed class GrainIdentityTests(SessionClusterFixture fixture)
{
    [Fact]
    public void Grain_type_names_are_the_ones_existing_databases_are_keyed_by()
    {
        var grains = fixture.Mesh.Client;
        static string TypeOf(IAddressable grain) => grain.GetGrainId().Type.ToString()!;

        Assert.Equal("session", TypeOf(grains.GetGrain<ISessionGrain>(Guid.NewGuid())));
        Assert.Equal("agent", TypeOf(grains.GetGrain<IAgentGrain>("a")));
        Assert.Equal("specialization", TypeOf(grains.GetGrain<ISpecializationGrain>("s")));
        Assert.Equal("specializationdirectory", TypeOf(grains.GetGrain<ISpecializationDirectoryGrain>(0)));
        Assert.Equal("sessiondirectory", TypeOf(grains.GetGrain<ISessionDirectoryGrain>(0)));
        Assert.Equal("livenessshard", TypeOf(grains.GetGrain<ILivenessShardGrain>(0)));
        Assert.Equal("discovery", TypeOf(grains.GetGrain<IDiscoveryGrain>(0)));
        Assert.Equal("topologylog", TypeOf(grains.GetGrain<ITopologyLogGrain>(TopologyStream.Key)));
    }

    [Fact]
    public void Callbacks_only_grains_make_are_not_on_the_public_interfaces()
    {
        string[] callbacks = ["LeaseExpiredAsync", "BeginLeaseAsync", "StartChildAsync", "StartHandedOffChildAsync", "RetractAsync", "AttachSessionAsync", "SessionEndedAsync", "SessionStartedAsync", "TrackAsync", "TrackStoredAsync", "ReleaseAsync", "SetCountAsync", "AddAsync", "RemoveAsync"];
        foreach (var type in typeof(ISessionGrain).Assembly.GetExportedTypes().Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t)))
        {
            Assert.DoesNotContain(type.GetMethods().Select(m => m.Name), callbacks.Contains);
        }
    }
}
