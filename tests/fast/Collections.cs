using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests;

[CollectionDefinition(Name)]
public sealed class SessionClusterCollection : ICollectionFixture<SessionClusterFixture>
{
    public const string Name = "session cluster";
}

/// <summary>
/// Tests that move the mesh's clock (lease expiry, TTLs): a cluster of their own, so moving time
/// expires nothing another collection relies on. TTLs are minutes of mesh time, stepped in one call:
/// a busy machine cannot stretch a gap past a TTL, and nothing waits for a TTL to pass.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SteppedClockCollection : ICollectionFixture<SessionClusterFixture>
{
    public const string Name = "stepped clock";
}
