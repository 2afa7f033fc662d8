using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using SessionMesh.Grains;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>The SQLite grain storage under many concurrent writers: no errors, nothing lost, only real conflicts.</summary>
public sealed class ConcurrentStorageTests
{
    [Fact]
    public async Task Sixty_four_sessions_writing_at_once_lose_nothing()
    {
        var directory = MeshCluster.NewDataDirectory();
        const int Chains = 64;
        const int Handoffs = 5;
        List<Guid> tips;

        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            // 64 chains run concurrently; each is a root plus 5 handoffs (11 state writes per chain).
            tips = [.. await Task.WhenAll(Enumerable.Range(0, Chains).Select(async chain =>
            {
                var context = new SessionContext { CurrentPhase = Phase.CodeGeneration };
                var id = await mesh.Sessions.SpawnAgentSessionAsync($"Agent{chain}", $"chain {chain}", context);
                for (var step = 0; step < Handoffs; step++)
                {
                    var result = new CodeGenerationResult(step / 10.0, step);
                    id = await mesh.Sessions.HandoffAsync(id, $"Agent{chain}-{step}", context with { PreviousResults = [result] });
                }

                return id;
            }))];
        }

        // Read back through a fresh silo: every acknowledged write is on disk.
        await using var reread = await MeshCluster.StartAsync(directory);
        Assert.Equal(new SessionStats(Chains * (Handoffs + 1), Chains, Chains * Handoffs, 0, 0), await reread.Sessions.GetStatsAsync());
        foreach (var tip in tips)
        {
            var lineage = await reread.Sessions.GetSessionLineageAsync(tip);
            Assert.Equal(Handoffs + 1, lineage.Count);
            Assert.All(lineage.SkipLast(1), s => Assert.Equal(SessionStatus.HandedOff, s.Status));
            Assert.Equal(Enumerable.Range(0, Handoffs), lineage[^1].Context.PreviousResults.Cast<CodeGenerationResult>().Select(r => r.SuccessfulWorlds));
        }
    }

    [Fact]
    public async Task Sixty_four_writers_on_raw_grain_storage_see_no_spurious_conflicts_and_every_stale_write_is_refused()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var storage = mesh.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(MeshStorage.Name);
        const int Writers = 64;
        const int WritesEach = 20;

        var finals = await Task.WhenAll(Enumerable.Range(0, Writers).Select(async writer =>
        {
            var grainId = GrainId.Create("storage-probe", $"writer-{writer}-{Guid.NewGuid():N}");
            var state = new GrainState<ProbeState> { State = new ProbeState() };
            for (var i = 1; i <= WritesEach; i++)
            {
                state.State.Value = i;
                await storage.WriteStateAsync("storage-probe", grainId, state);
            }

            var read = new GrainState<ProbeState> { State = new ProbeState() };
            await storage.ReadStateAsync("storage-probe", grainId, read);
            return (grainId, state.ETag, read);
        }));

        foreach (var (grainId, etag, read) in finals)
        {
            Assert.Equal(WritesEach, read.State!.Value);
            Assert.Equal(etag, read.ETag);
            Assert.Equal(WritesEach.ToString(System.Globalization.CultureInfo.InvariantCulture), read.ETag);

            // A writer holding an older ETag is refused, and the stored value is untouched.
            var stale = new GrainState<ProbeState> { State = new ProbeState { Value = -1 }, ETag = "3" };
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("storage-probe", grainId, stale));
            var fresh = new GrainState<ProbeState> { State = new ProbeState { Value = -1 } };
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("storage-probe", grainId, fresh));
            var again = new GrainState<ProbeState> { State = new ProbeState() };
            await storage.ReadStateAsync("storage-probe", grainId, again);
            Assert.Equal(WritesEach, again.State!.Value);
        }

        // Clearing keeps versions monotonic and a stale clear is refused too.
        var (clearId, clearEtag, _) = finals[0];
        var clearing = new GrainState<ProbeState> { State = new ProbeState(), ETag = clearEtag, RecordExists = true };
        await storage.ClearStateAsync("storage-probe", clearId, clearing);
        Assert.Equal((WritesEach + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), clearing.ETag);
        var staleClear = new GrainState<ProbeState> { State = new ProbeState(), ETag = clearEtag, RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("storage-probe", clearId, staleClear));
    }
}

[GenerateSerializer, Alias("sessionmesh.tests.probe-state")]
public sealed class ProbeState
{
    [Id(0)] public int Value { get; set; }
}
