using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using SessionMesh.Errors;
using SessionMesh.Sessions;
using SessionMesh.Storage;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Storage;

/// <summary>
/// Session writes from many grains share transactions, and a write that fails fails alone. The
/// test holds the silo's SQLite write gate so that writes pile up behind a transaction in flight,
/// which is what concurrency does, without depending on timing.
/// </summary>
public sealed class GroupCommitTests
{
    private const int Sessions = 40;

    [Fact]
    public async Task Writes_that_arrive_while_one_is_in_flight_share_one_transaction()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var ids = await SpawnAsync(mesh);
        var (gate, committer) = Parts(mesh);
        var commitsBefore = committer.Commits;

        Task<SessionSnapshot>[] completions;
        using (await gate.EnterAsync(CancellationToken.None))
        {
            completions = [.. ids.Select(id => mesh.Client.GetGrain<ISessionGrain>(id).CompleteAsync())];
            await WaitForPendingAsync(committer, Sessions);
        }

        var completed = await Task.WhenAll(completions);
        Assert.All(completed, s => Assert.Equal(SessionStatus.Completed, s.Status));

        // The write that took the gate first (alone, or with whatever had arrived with it), then one
        // transaction for all that waited behind it.
        Assert.InRange(committer.Commits - commitsBefore, 1, 2);
        Assert.Equal(new SessionStats(Sessions, 0, 0, Sessions, 0), await mesh.Sessions.GetStatsAsync());
    }

    [Fact]
    public async Task A_write_refused_inside_a_shared_transaction_fails_alone_and_the_others_commit()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var ids = await SpawnAsync(mesh);
        var refused = ids[Sessions / 2];
        await mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER test_refuse_one BEFORE UPDATE ON SessionCatalog
            WHEN OLD.SessionId = '{refused:N}'
            BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
            """);
        var (gate, committer) = Parts(mesh);

        Task<SessionSnapshot>[] completions;
        using (await gate.EnterAsync(CancellationToken.None))
        {
            completions = [.. ids.Select(id => mesh.Client.GetGrain<ISessionGrain>(id).CompleteAsync())];
            await WaitForPendingAsync(committer, Sessions);
        }

        for (var i = 0; i < Sessions; i++)
        {
            if (ids[i] == refused)
            {
                await Assert.ThrowsAsync<StorageUnavailableException>(() => completions[i]);
            }
            else
            {
                Assert.Equal(SessionStatus.Completed, (await completions[i]).Status);
            }
        }

        // Memory, row and counters agree on each: the refused session is still Active and can finish later.
        Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(refused)).Status);
        Assert.Equal(new SessionStats(Sessions, 1, 0, Sessions - 1, 0), await mesh.Sessions.GetStatsAsync());
        await mesh.ExecuteSqlAsync("DROP TRIGGER test_refuse_one;");
        await mesh.Sessions.CompleteSessionAsync(refused);
        Assert.Equal(new SessionStats(Sessions, 0, 0, Sessions, 0), await mesh.Sessions.GetStatsAsync());
    }

    [Fact]
    public async Task Handoffs_in_a_shared_transaction_commit_both_rows_and_one_that_does_not_hold_stores_neither()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var ids = await SpawnAsync(mesh);
        var grains = ids.Select(id => mesh.Client.GetGrain<ISessionGrain>(id)).ToArray();
        await Task.WhenAll(grains.Select(g => g.GetAsync()));

        // One parent's row moves on behind its grain's back: its handoff's second statement finds
        // another version, so its whole write (the child's insert with it) must not hold.
        var stale = ids[Sessions / 2];
        await mesh.ExecuteSqlAsync($"UPDATE SessionCatalog SET Version = Version + 1 WHERE SessionId = '{stale:N}';");
        var (gate, committer) = Parts(mesh);
        var childIds = ids.Select(_ => Guid.NewGuid()).ToArray();

        Task<SessionSnapshot> HandoffAsync(int i) => grains[i].HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent", ChildSessionId = childIds[i] });
        var handoffs = new Task<SessionSnapshot>[Sessions];
        using (await gate.EnterAsync(CancellationToken.None))
        {
            // One handoff first, taken by the committer and held at the gate; every later one waits
            // in the queue, so after the gate opens the other 38 and the stale one are one batch.
            // (Handed in all at once, the first batch could take all 39 before the stale one came,
            // leaving it alone: one fresh-clone run did.)
            var others = Enumerable.Range(0, Sessions).Where(i => ids[i] != stale).ToList();
            handoffs[others[0]] = HandoffAsync(others[0]);
            await Eventually.UntilAsync(() => committer.Pending == 1 && committer.Queued == 0);
            foreach (var i in others.Skip(1))
            {
                handoffs[i] = HandoffAsync(i);
            }

            handoffs[Sessions / 2] = HandoffAsync(Sessions / 2);
            await WaitForPendingAsync(committer, Sessions);
        }

        for (var i = 0; i < Sessions; i++)
        {
            if (ids[i] == stale)
            {
                await Assert.ThrowsAsync<InconsistentStateException>(() => handoffs[i]);
            }
            else
            {
                Assert.Equal(ids[i], (await handoffs[i]).ParentSession);
            }
        }

        Assert.Equal("0", await mesh.QueryAsync($"SELECT COUNT(*) FROM SessionCatalog WHERE SessionId = '{childIds[Sessions / 2]:N}';"));
        Assert.Equal(new SessionStats(2 * Sessions - 1, Sessions, Sessions - 1, 0, 0), await mesh.Sessions.GetStatsAsync());
        Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(stale)).Status);
        Assert.Equal(1, committer.RolledBack);
    }

    private static async Task<Guid[]> SpawnAsync(MeshCluster mesh)
    {
        var ids = new Guid[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            ids[i] = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "group commit", new SessionContext());
        }

        return ids;
    }

    private static (SqliteWriteGate Gate, GroupCommitter Committer) Parts(MeshCluster mesh)
    {
        var services = mesh.Cluster.Silos[0].SiloHost.Services;
        var dataSource = Assert.IsType<GatedSqliteDataSource>(services.GetRequiredService<DbDataSource>());
        return (dataSource.WriteGate, services.GetRequiredService<GroupCommitter>());
    }

    /// <summary>Waits (bounded) until the committer holds this many unanswered writes.</summary>
    private static Task WaitForPendingAsync(GroupCommitter committer, int count) => Eventually.UntilAsync(() => committer.Pending >= count);
}
