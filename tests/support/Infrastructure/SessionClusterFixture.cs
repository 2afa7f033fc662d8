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
