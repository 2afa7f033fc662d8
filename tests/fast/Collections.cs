using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests;

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
