using SessionMesh.Discovery;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Sessions;

/// <summary>
/// Listing and discovery pages read the sessions they name from their rows: a page of idle
/// sessions answers with what was last written and brings none of their grains back into memory
/// (so memory follows the sessions in use, not the ones someone paged past).
/// </summary>
public sealed class PageReadTests : IAsyncLifetime
{
    private MeshCluster _mesh = null!;

    public async Task InitializeAsync() => _mesh = await MeshCluster.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Pages_of_idle_sessions_show_their_last_writes_without_activating_them()
    {
        var sessions = _mesh.Sessions;
        var spawned = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            spawned.Add(await sessions.SpawnAgentSessionAsync("CodeGenAgent", $"page read {i}", new SessionContext { IssueNumber = (ulong)i }, leaseTtl: TimeSpan.FromMinutes(10)));
        }

        await sessions.CompleteSessionAsync(spawned[0]);
        await CollectIdleSessionGrainsAsync();
        Assert.Equal(0, await SessionGrainActivationsAsync());

        var active = await sessions.ListSessionsAsync(SessionStatus.Active, limit: 50);
        Assert.Equal(spawned.Skip(1).Order(), active.Sessions.Select(s => s.Id).Order());
        Assert.All(active.Sessions, s => Assert.Equal($"page read {s.Context.IssueNumber}", s.Purpose));

        var completed = Assert.Single(
            (await sessions.ListSessionsAsync(SessionStatus.Completed, limit: 50)).Sessions,
            s => s.Id == spawned[0]);
        Assert.NotNull(completed.EndedAt);

        var alive = await _mesh.Agents.DiscoverAsync(new DiscoveryQuery { Filter = DiscoveryFilter.Alive, Limit = 50 });
        Assert.Equal(spawned.Skip(1).Order(), alive.Sessions.Select(s => s.Session.Id).Order());
        Assert.All(alive.Sessions, s => Assert.NotNull(s.Lease));

        Assert.Equal(0, await SessionGrainActivationsAsync());

        // A session in use answers from its grain (the count sees it: the check above can fail),
        // and a page agrees with what the grain holds.
        var read = await sessions.GetSessionAsync(spawned[1]);
        Assert.Equal(1, await SessionGrainActivationsAsync());
        var listed = (await sessions.ListSessionsAsync(SessionStatus.Active, limit: 50)).Sessions.Single(s => s.Id == spawned[1]);
        Assert.Equal((read.Status, read.Purpose, read.AgentName, read.CreatedAt, read.UpdatedAt, read.Context.IssueNumber), (listed.Status, listed.Purpose, listed.AgentName, listed.CreatedAt, listed.UpdatedAt, listed.Context.IssueNumber));
    }

    private async Task CollectIdleSessionGrainsAsync()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        await _mesh.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.FromMilliseconds(100));
    }

    private async Task<int> SessionGrainActivationsAsync()
    {
        var statistics = await _mesh.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.StartsWith($"{typeof(SessionGrain).FullName},", StringComparison.Ordinal)).Sum(s => s.ActivationCount);
    }
}
