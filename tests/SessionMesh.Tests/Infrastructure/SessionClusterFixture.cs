namespace SessionMesh.Tests.Infrastructure;

/// <summary>One SQLite-backed cluster shared by a test collection; every test uses fresh session ids.</summary>
public sealed class SessionClusterFixture : IAsyncLifetime
{
    private MeshCluster? _mesh;

    public MeshCluster Mesh => _mesh ?? throw new InvalidOperationException("The cluster has not started.");

    public async Task InitializeAsync() => _mesh = await MeshCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SessionClusterCollection : ICollectionFixture<SessionClusterFixture>
{
    public const string Name = "session cluster";
}

/// <summary>
/// Tests that measure leases against the wall clock (TTLs of seconds) run alone, after the parallel
/// collections, with a cluster of their own: a busy test process must not stretch a heartbeat gap past a TTL.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LeaseTimingCollection : ICollectionFixture<SessionClusterFixture>
{
    public const string Name = "lease timing";
}
