using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using SessionMesh.Errors;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Sessions;

/// <summary>
/// A handoff is one transaction (the child's row and the parent's HandedOff, or neither); a handoff
/// recorded as an intent by an earlier build and cut before it finished is finished by recovery with
/// one child, and a retry returns that child.
/// </summary>
public sealed class HandoffRecoveryTests
{
    private static SessionContext Context(Phase phase) => new() { IssueNumber = 9, CurrentPhase = phase, WorktreePath = ".worktrees/issue-9" };

    /// <summary>
    /// In a silo on <paramref name="directory"/>: a session whose row holds a handoff to
    /// <paramref name="childId"/> recorded the way builds before one-transaction handoffs did (the
    /// intent in its state, its time in ResumeTicks) and never finished; then the silo stops.
    /// </summary>
    private static async Task<Guid> RecordUnfinishedHandoffAsync(string directory, Guid childId)
    {
        await using var mesh = await MeshCluster.StartAsync(directory);
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var parent = await mesh.Sessions.GetSessionAsync(parentId);
        var intent = new HandoffIntent
        {
            ChildId = childId,
            ChildSpawn = new SessionSpawn { AgentName = "ReviewAgent", Purpose = $"Handoff from session {parentId}", Context = Context(Phase.Review) },
            At = DateTimeOffset.UtcNow,
        };
        var serializer = mesh.Cluster.Silos[0].SiloHost.Services.GetRequiredService<Serializer>();
        var payload = serializer.SerializeToArray(new SessionState { Session = parent, PendingHandoff = intent });
        await mesh.ExecuteSqlAsync($"""
            UPDATE SessionCatalog SET Payload = X'{Convert.ToHexString(payload)}', ResumeTicks = {intent.At.UtcTicks}, Version = Version + 1
            WHERE SessionId = '{parentId:N}';
            """);
        return parentId;
    }

    [Fact]
    public async Task A_handoff_decided_on_a_parent_row_that_changed_meanwhile_stores_nothing_and_the_next_one_goes_through()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var grain = mesh.Client.GetGrain<ISessionGrain>(parentId);
        await grain.GetAsync();
        var before = await mesh.Sessions.GetStatsAsync();

        // Another writer moved the parent's row on after its grain read it (as a second activation
        // of the session would, across a network partition).
        await mesh.ExecuteSqlAsync($"UPDATE SessionCatalog SET Version = Version + 1 WHERE SessionId = '{parentId:N}';");
        var childId = Guid.NewGuid();
        var handoff = new SessionHandoff { ToAgent = "ReviewAgent", ChildSessionId = childId, Context = Context(Phase.Review) };
        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.HandoffAsync(handoff));

        // Neither half was kept: no child row, the parent Active, the counts as they were.
        Assert.Equal("0", await mesh.QueryAsync($"SELECT COUNT(*) FROM SessionCatalog WHERE SessionId = '{childId:N}';"));
        Assert.Equal(SessionStatus.Active, (await grain.GetAsync()).Status);
        Assert.Equal(before, await mesh.Sessions.GetStatsAsync());

        // The parent read its row again on the failure, so the retry goes through.
        Assert.Equal(childId, (await grain.HandoffAsync(handoff)).Id);
        Assert.Equal([childId], (await mesh.Sessions.GetSessionAsync(parentId)).ChildSessions);
        Assert.Equal(new SessionStats(2, 1, 1, 0, 0), await mesh.Sessions.GetStatsAsync());
    }

    /// <summary>
    /// After a restart, the first read of the parent activates it, and its activation rolls the
    /// recorded handoff forward: nobody retries the handoff. (Listings read rows, not grains, so a
    /// listing alone leaves this to the recovery sweep, tested below.) A retry of the handoff then
    /// gets the child already made, not a second one or a 409.
    /// </summary>
    [Fact]
    public async Task A_recorded_handoff_is_finished_after_a_restart_once_its_session_is_read_and_a_retry_returns_its_child()
    {
        var directory = MeshCluster.NewDataDirectory();
        var childId = Guid.NewGuid();
        var parentId = await RecordUnfinishedHandoffAsync(directory, childId);
        await using var restarted = await MeshCluster.StartAsync(directory);

        var parent = await Eventually.WaitForAsync(() => restarted.Sessions.GetSessionAsync(parentId), p => p.Status != SessionStatus.Active, seconds: 30);
        Assert.Equal((SessionStatus.HandedOff, "ReviewAgent"), (parent.Status, parent.HandoffTo));
        Assert.Equal([childId], parent.ChildSessions);
        var child = await restarted.Sessions.GetSessionAsync(childId);
        Assert.Equal((SessionStatus.Active, (Guid?)parentId, 9UL), (child.Status, child.ParentSession, child.Context.IssueNumber));
        Assert.Equal([childId], (await restarted.Sessions.ListActiveSessionsAsync(limit: 10)).Sessions.Select(s => s.Id));
        Assert.Equal(new SessionStats(2, 1, 1, 0, 0), await restarted.Sessions.GetStatsAsync());

        var grain = restarted.Client.GetGrain<ISessionGrain>(parentId);
        Assert.Equal(childId, (await grain.HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent", ChildSessionId = childId })).Id);
        Assert.Equal([childId], (await restarted.Sessions.GetSessionAsync(parentId)).ChildSessions);
        Assert.Equal(0, await grain.ResumeAsync());
    }

    /// <summary>
    /// After the restart nothing reads the parent (the test watches its row with SQL, since a listing
    /// would activate it and its activation resumes the handoff): only the recovery sweep, which every
    /// silo asks for, can finish it. The mesh clock is moved past the sweep's grace period.
    /// </summary>
    [Fact]
    public async Task A_recorded_handoff_is_finished_by_the_recovery_sweep_when_nothing_touches_its_session()
    {
        var directory = MeshCluster.NewDataDirectory();
        var childId = Guid.NewGuid();
        var parentId = await RecordUnfinishedHandoffAsync(directory, childId);
        var clock = new SteppingClock();
        clock.Advance(TimeSpan.FromMinutes(1));
        await using var restarted = await MeshCluster.StartAsync(directory, clock: clock);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (await RowAsync(directory, parentId) != $"{(int)SessionStatus.HandedOff}|")
        {
            await Task.Delay(250, timeout.Token);
        }

        Assert.Equal($"{(int)SessionStatus.Active}|", await RowAsync(directory, childId));
        Assert.Equal([childId], (await restarted.Sessions.GetSessionAsync(parentId)).ChildSessions);
    }

    /// <summary>A session's catalog status and whether it still holds a recorded handoff, read with SQL.</summary>
    private static Task<string> RowAsync(string directory, Guid sessionId) =>
        MeshCluster.QueryAsync(directory, $"SELECT Status || '|' || COALESCE(ResumeTicks, '') FROM SessionCatalog WHERE SessionId = '{sessionId:N}';");

    [Fact]
    public async Task A_retried_handoff_naming_its_child_returns_that_child_and_an_unnamed_one_is_refused()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var grain = mesh.Client.GetGrain<ISessionGrain>(parentId);
        var handoff = new SessionHandoff { ToAgent = "ReviewAgent", ChildSessionId = Guid.NewGuid() };

        var first = await grain.HandoffAsync(handoff);
        var again = await grain.HandoffAsync(handoff);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal([first.Id], (await mesh.Sessions.GetSessionAsync(parentId)).ChildSessions);
        await Assert.ThrowsAsync<InvalidTransitionException>(() => grain.HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent" }));
    }

    [Fact]
    public async Task A_handoff_without_a_context_keeps_the_parents_and_new_results_append()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var analysis = new IssueAnalysisResult("medium", TimeSpan.FromMinutes(5));
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration) with { PreviousResults = [analysis] });
        var grain = mesh.Client.GetGrain<ISessionGrain>(parentId);

        var kept = await grain.HandoffAsync(new SessionHandoff { ToAgent = "ReviewAgent" });
        Assert.Equal((9UL, ".worktrees/issue-9", Phase.CodeGeneration), (kept.Context.IssueNumber, kept.Context.WorktreePath, kept.Context.CurrentPhase));
        Assert.Equal([analysis], kept.Context.PreviousResults);

        // A context that gives only a phase and a new result keeps the issue and worktree; results append.
        var review = new ReviewResult(8, 0);
        var next = await mesh.Client.GetGrain<ISessionGrain>(kept.Id).HandoffAsync(
            new SessionHandoff { ToAgent = "TestAgent", Context = new SessionContext { CurrentPhase = Phase.Test, PreviousResults = [review] } });
        Assert.Equal((9UL, ".worktrees/issue-9", Phase.Test), (next.Context.IssueNumber, next.Context.WorktreePath, next.Context.CurrentPhase));
        Assert.Equal([analysis, review], next.Context.PreviousResults);
    }

    [Fact]
    public async Task A_context_over_the_limit_is_refused_naming_it_and_changes_nothing()
    {
        await using var mesh = await MeshCluster.StartAsync();
        // Each payload within the 64 KiB one result may hold; the parent's three make about 180 KB.
        static GenericResult Notes(string name, char fill) => new(name, $"\"{new string(fill, 60_000)}\"");
        GenericResult[] big = [Notes("a", 'x'), Notes("b", 'x'), Notes("c", 'x')];
        var parentId = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext { PreviousResults = big });
        var before = await mesh.Sessions.GetStatsAsync();

        // Inherited results count: the parent's 180 KB plus 120 KB more is over 256 KiB.
        var error = await Assert.ThrowsAsync<ContextTooLargeException>(() => mesh.Sessions.HandoffAsync(
            parentId, "ReviewAgent", new SessionContext { PreviousResults = [Notes("d", 'y'), Notes("e", 'y')] }));
        Assert.Equal(MeshLimits.MaxContextBytes, error.Limit);
        Assert.Contains("256 KiB", error.Message, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(parentId)).Status);
        Assert.Equal(before, await mesh.Sessions.GetStatsAsync());
        await Assert.ThrowsAsync<ContextTooLargeException>(() => mesh.Sessions.SpawnAgentSessionAsync(
            "CodeGenAgent", "p", new SessionContext { PreviousResults = [.. big, Notes("f", 'z'), Notes("g", 'z')] }));
    }

    [Fact]
    public async Task Lineage_and_descendants_come_as_summaries_and_descendants_page_by_cursor()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var root = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var chain = new List<Guid>();
        var at = root;
        for (var i = 0; i < 5; i++)
        {
            at = await mesh.Sessions.HandoffAsync(at, $"Agent{i}", Context(Phase.Review));
            chain.Add(at);
        }

        var directory = mesh.Client.GetGrain<ISessionDirectoryGrain>(0);
        var lineage = await directory.GetLineageSummariesAsync(at);
        Assert.Equal([root, .. chain], lineage.Select(s => s.Id));

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await directory.GetDescendantPageAsync(root, 2, cursor, includeContext: false);
            Assert.InRange(page.Sessions.Count, 1, 2);
            Assert.All(page.Sessions, s => Assert.Null(s.Context.IssueNumber));
            seen.AddRange(page.Sessions.Select(s => s.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(chain, seen);
        var withContext = await directory.GetDescendantPageAsync(root, 10, null, includeContext: true);
        Assert.All(withContext.Sessions, s => Assert.Equal(9UL, s.Context.IssueNumber));
        await Assert.ThrowsAsync<InvalidInputException>(() => directory.GetDescendantPageAsync(root, 0, null, false));
    }
}
