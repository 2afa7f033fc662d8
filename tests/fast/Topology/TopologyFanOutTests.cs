using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Streams;
using Orleans.TestingHost;
using SessionMesh.Client;
using SessionMesh.Grains;
using SessionMesh.Grains.Topology;
using SessionMesh.Silo.Hosting;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Topology;

namespace SessionMesh.Tests.Topology;

/// <summary>
/// The cluster-wide topology sequence on a two-silo cluster (real SQLite storage): one numbering
/// for every silo, each silo's single subscription fanning out to its readers, resume from the
/// retained window and a reset when a reader fell out of it or the log restarted.
/// </summary>
public sealed class TopologyFanOutTests
{
    [Fact]
    public async Task Every_silo_passes_on_the_same_numbered_events_wherever_they_were_raised()
    {
        await using var mesh = await TwoSilos.StartAsync();
        var feeds = new List<TopologyFeed>();
        foreach (var fanOut in mesh.FanOuts)
        {
            feeds.Add(await fanOut.SubscribeAsync(CancellationToken.None));
        }

        // Agents activate on both silos (random placement), so events are raised on each of them.
        var agents = Enumerable.Range(0, 24).Select(i => $"fan-{Guid.NewGuid():N}-{i}").ToList();
        foreach (var agent in agents)
        {
            await mesh.Agents.RegisterAsync(agent, "fan-out");
        }

        var seen = new List<List<TopologyUpdate>>();
        foreach (var feed in feeds)
        {
            seen.Add(await ReadUntilAsync(feed, updates => agents.All(a => updates.Any(u => u.Event?.Subject == a))));
        }

        var onSilo1 = seen[0].Where(u => agents.Contains(u.Event?.Subject ?? "")).ToList();
        var onSilo2 = seen[1].Where(u => agents.Contains(u.Event?.Subject ?? "")).ToList();
        Assert.Equal(onSilo1.Select(u => (u.Sequence, u.Event!.Subject)), onSilo2.Select(u => (u.Sequence, u.Event!.Subject)));
        Assert.All(seen, updates => Assert.DoesNotContain(updates, u => u.Event is null));
        Assert.All(seen, updates => Assert.Equal(Enumerable.Range(0, updates.Count).Select(i => updates[0].Sequence + i), updates.Select(u => u.Sequence)));

        // The log lives on exactly one of the two silos, so one of the two feeds compared above got
        // every event across silos. (Where the agents raising them activate is the placement
        // strategy's choice, so that is not asserted.)
        var activations = await mesh.Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.Single(activations, a => a.GrainId == mesh.Cluster.Client.GetGrain<ITopologyLogGrain>(TopologyStream.Key).GetGrainId());
        foreach (var feed in feeds)
        {
            feed.Dispose();
        }
    }

    [Fact]
    public async Task A_reader_resumes_from_the_window_and_is_told_to_reset_outside_it()
    {
        await using var mesh = await TwoSilos.StartAsync();
        var log = mesh.Cluster.Client.GetGrain<ITopologyLogGrain>(TopologyStream.Key);
        var stream = mesh.Cluster.Client.GetStreamProvider(TopologyStream.Provider)
            .GetStream<TopologyEvent>(StreamId.Create(TopologyStream.Namespace, TopologyStream.Key));
        var start = (await log.ReadWindowAsync(null, 1)).Head;

        for (var i = 0; i < 10; i++)
        {
            await stream.OnNextAsync(new TopologyEvent(TopologyEventKind.AgentSteered, $"resume-{i}", "west", DateTimeOffset.UtcNow));
        }

        var head = await Eventually.WaitForAsync(async () => (await log.ReadWindowAsync(null, 1)).Head, h => h >= start + 10);
        var resumed = await log.ReadWindowAsync(start + 7, 100);
        Assert.False(resumed.Reset);
        Assert.Equal(["resume-7", "resume-8", "resume-9"], resumed.Events.Select(e => e.Event.Subject));
        Assert.Equal([start + 8, start + 9, start + 10], resumed.Events.Select(e => e.Sequence));
        Assert.Empty((await log.ReadWindowAsync(head, 100)).Events);

        // A number the log never gave (from an earlier life) is a reset, not an empty answer.
        Assert.True((await log.ReadWindowAsync(head + 1000, 100)).Reset);

        // Push the first events out of the retained window: resuming from them is a reset.
        for (var i = 0; i < TopologyLogGrain.Window; i++)
        {
            await stream.OnNextAsync(new TopologyEvent(TopologyEventKind.AgentSteered, $"flood-{i}", null, DateTimeOffset.UtcNow));
        }

        await Eventually.WaitForAsync(async () => (await log.ReadWindowAsync(null, 1)).Head, h => h >= head + TopologyLogGrain.Window, seconds: 60);
        var outOfWindow = await log.ReadWindowAsync(start + 7, 100);
        Assert.True(outOfWindow.Reset);
        Assert.Empty(outOfWindow.Events);
        Assert.Equal(TopologyLogGrain.Window, (await log.ReadAsync(0)).Count);
    }

    /// <summary>
    /// The silos' renewals run on the mesh's clock, a fake one here: the test moves it one renewal
    /// period on instead of waiting for one.
    /// </summary>
    [Fact]
    public async Task A_restarted_log_makes_every_silo_reset_its_readers()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var mesh = await TwoSilos.StartAsync(clock);
        var feeds = new List<TopologyFeed>();
        foreach (var fanOut in mesh.FanOuts)
        {
            feeds.Add(await fanOut.SubscribeAsync(CancellationToken.None));
        }

        var before = $"before-{Guid.NewGuid():N}";
        await mesh.Agents.RegisterAsync(before, "restart");
        foreach (var feed in feeds)
        {
            await ReadUntilAsync(feed, updates => updates.Any(u => u.Event?.Subject == before));
        }

        // The log's memory is gone: a new life numbers from a new, higher base.
        await mesh.Cluster.DeactivateAsync(mesh.Cluster.Client.GetGrain<ITopologyLogGrain>(TopologyStream.Key));
        var after = $"after-{Guid.NewGuid():N}";
        await mesh.Agents.RegisterAsync(after, "restart");
        clock.Advance(TopologyFanOut.RenewPeriod);

        foreach (var feed in feeds)
        {
            // The silo notices at its next renewal at the latest, and tells its readers to reload.
            var updates = await ReadUntilAsync(feed, u => u.Any(x => x.Event is null), seconds: 60);
            Assert.Contains(updates, u => u.Event is null);
            feed.Dispose();
        }
    }

    private static async Task<List<TopologyUpdate>> ReadUntilAsync(TopologyFeed feed, Func<List<TopologyUpdate>, bool> done, double seconds = 20)
    {
        var updates = new List<TopologyUpdate>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!done(updates))
        {
            updates.Add(await feed.Updates.ReadAsync(timeout.Token));
        }

        return updates;
    }

    /// <summary>A two-silo in-process cluster on one SQLite file, each silo with its topology fan-out.</summary>
    private sealed class TwoSilos : IAsyncDisposable
    {
        private TwoSilos(InProcessTestCluster cluster)
        {
            Cluster = cluster;
            Agents = new AgentMesh(cluster.Client);
        }

        public InProcessTestCluster Cluster { get; }

        public AgentMesh Agents { get; }

        public IEnumerable<TopologyFanOut> FanOuts => Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<TopologyFanOut>());

        public static async Task<TwoSilos> StartAsync(TimeProvider? clock = null)
        {
            var directory = MeshCluster.NewDataDirectory();
            var builder = new InProcessTestClusterBuilder(2);
            builder.Options.ServiceId = "sessionmesh-topology-test";
            builder.ConfigureSilo((_, silo) =>
            {
                if (clock is not null)
                {
                    silo.Services.AddKeyedSingleton(MeshClock.Key, clock);
                }

                silo.UseSessionMesh(directory);
                silo.Services.AddTopologyFanOut();
            });
            builder.ConfigureClient(client => client.AddMemoryStreams(TopologyStream.Provider));
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return new TwoSilos(cluster);
        }

        public async ValueTask DisposeAsync()
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }
}
