namespace SessionMesh.Tests.Infrastructure;

/// <summary>
/// One SQLite-backed cluster shared by a test collection; every test uses fresh session ids. Its
/// silos run on <see cref="Clock"/>, which keeps the system's time until a test moves it.
/// </summary>
public sealed class SessionClusterFixture : IAsyncLifetime
{
    private MeshCluster? _mesh;

    public MeshCluster Mesh => _mesh ?? throw new InvalidOperationException("The cluster has not started.");

    /// <summary>The mesh's clock: moving it moves lease and deadline time for every test of the collection.</summary>
    public SteppingClock Clock { get; } = new();

    public async Task InitializeAsync() => _mesh = await MeshCluster.StartAsync(clock: Clock);

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}
