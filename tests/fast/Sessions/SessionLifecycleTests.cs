using SessionMesh.Client;
using SessionMesh.Errors;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Sessions;

[Collection(SessionClusterCollection.Name)]
public sealed class SessionLifecycleTests(SessionClusterFixture fixture)
{
    private SessionManager Sessions => fixture.Mesh.Sessions;

    private static SessionContext Context(Phase phase, params AgentResult[] results) => new()
    {
        IssueNumber = 270,
        CurrentPhase = phase,
        WorktreePath = ".worktrees/issue-270",
        PreviousResults = results,
    };

    [Fact]
    public async Task Spawn_starts_an_active_session_with_everything_it_was_given()
    {
        var analysis = new IssueAnalysisResult("medium", TimeSpan.FromMinutes(45));
        var id = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "Code generation for #270", Context(Phase.CodeGeneration, analysis), agentId: "agent-7");

        var session = await Sessions.GetSessionAsync(id);
        Assert.Equal(id, session.Id);
        Assert.Equal(SessionStatus.Active, session.Status);
        Assert.Equal("CodeGenAgent", session.AgentName);
        Assert.Equal("Code generation for #270", session.Purpose);
        Assert.Equal("agent-7", session.AgentId);
        Assert.Equal(270UL, session.Context.IssueNumber);
        Assert.Equal(Phase.CodeGeneration, session.Context.CurrentPhase);
        Assert.Equal(".worktrees/issue-270", session.Context.WorktreePath);
        Assert.Equal([analysis], session.Context.PreviousResults);
        Assert.Null(session.ParentSession);
        Assert.Empty(session.ChildSessions);
        Assert.Null(session.EndedAt);
        Assert.Equal(session.CreatedAt, session.UpdatedAt);
    }

    /// <summary>
    /// The grain contract names a bad field by its members, a nested one by its path: renaming a
    /// member renames the error with it, and the HTTP edge shows the wire's name (BadInputTests).
    /// </summary>
    [Fact]
    public async Task A_bad_nested_value_is_named_by_its_path_of_contract_members()
    {
        var context = new SessionContext { PreviousResults = [new GenericResult("lint", "{not json")] };
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", context));
        Assert.Equal($"{nameof(SessionSpawn.Context)}.{nameof(SessionContext.PreviousResults)}[0].{nameof(GenericResult.JsonPayload)}", error.Field);
        Assert.Equal("Context.PreviousResults[0].JsonPayload: must be a JSON document.", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bad\u0007name")]
    public async Task Spawn_rejects_a_malformed_agent_name(string agentName)
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Sessions.SpawnAgentSessionAsync(agentName, "p", Context(Phase.CodeGeneration)));
        Assert.Equal(nameof(SessionSpawn.AgentName), error.Field);
    }

    [Fact]
    public async Task Spawn_rejects_an_agent_name_over_200_characters()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Sessions.SpawnAgentSessionAsync(new string('a', 201), "p", Context(Phase.CodeGeneration)));
        Assert.Contains("200", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_a_session_id_again_is_idempotent_for_the_same_spawn_and_refused_for_another()
    {
        var id = Guid.NewGuid();
        var grain = fixture.Mesh.Client.GetGrain<ISessionGrain>(id);
        var spawn = new SessionSpawn { AgentName = "CodeGenAgent", Purpose = "retry-safe" };
        var first = await grain.StartAsync(spawn);
        var again = await grain.StartAsync(spawn);
        Assert.Equal(first, again);
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => grain.StartAsync(spawn with { Purpose = "something else" }));
    }

    [Fact]
    public async Task Handoff_records_both_sides_and_keeps_every_previous_result()
    {
        var codegen = new CodeGenerationResult(0.92, 3);
        var review = new ReviewResult(8.5, 2);
        var generic = new GenericResult("lint", """{"warnings":4}""");
        var parentId = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "Code generation for #270", Context(Phase.CodeGeneration, codegen));

        var childId = await Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review, review, generic));

        var parent = await Sessions.GetSessionAsync(parentId);
        Assert.Equal(SessionStatus.HandedOff, parent.Status);
        Assert.Equal("ReviewAgent", parent.HandoffTo);
        Assert.Equal([childId], parent.ChildSessions);
        Assert.NotNull(parent.EndedAt);

        var child = await Sessions.GetSessionAsync(childId);
        Assert.Equal(SessionStatus.Active, child.Status);
        Assert.Equal("ReviewAgent", child.AgentName);
        Assert.Equal(parentId, child.ParentSession);
        Assert.Equal($"Handoff from session {parentId}", child.Purpose);
        Assert.Equal(Phase.Review, child.Context.CurrentPhase);
        Assert.Equal<AgentResult>([codegen, review, generic], child.Context.PreviousResults);
    }

    [Fact]
    public async Task Handoff_uses_a_given_purpose()
    {
        var parentId = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var childId = await Sessions.HandoffAsync(parentId, "ReviewAgent", Context(Phase.Review), purpose: "Review PR #12");
        Assert.Equal("Review PR #12", (await Sessions.GetSessionAsync(childId)).Purpose);
    }

    [Theory]
    [InlineData("handoff")]
    [InlineData("complete")]
    [InlineData("fail")]
    public async Task Only_an_active_session_changes_status(string operation)
    {
        var id = await Sessions.SpawnAgentSessionAsync("TestAgent", "p", Context(Phase.Test));
        await Sessions.CompleteSessionAsync(id);

        Func<Task> attempt = operation switch
        {
            "handoff" => () => Sessions.HandoffAsync(id, "DeployAgent", Context(Phase.Merge)),
            "complete" => () => Sessions.CompleteSessionAsync(id),
            _ => () => Sessions.FailSessionAsync(id, "boom"),
        };

        var error = await Assert.ThrowsAsync<InvalidTransitionException>(attempt);
        Assert.Equal("Completed", error.CurrentStatus);
        Assert.Contains("Completed", error.Message, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Completed, (await Sessions.GetSessionAsync(id)).Status);
    }

    [Fact]
    public async Task Complete_and_fail_end_the_session()
    {
        var done = await Sessions.SpawnAgentSessionAsync("DeployAgent", "p", Context(Phase.Merge));
        await Sessions.CompleteSessionAsync(done);
        var completed = await Sessions.GetSessionAsync(done);
        Assert.Equal(SessionStatus.Completed, completed.Status);
        Assert.NotNull(completed.EndedAt);

        var broken = await Sessions.SpawnAgentSessionAsync("TestAgent", "p", Context(Phase.Test));
        await Sessions.FailSessionAsync(broken, "3 tests failed");
        var failed = await Sessions.GetSessionAsync(broken);
        Assert.Equal(SessionStatus.Failed, failed.Status);
        Assert.Equal("3 tests failed", failed.Error);
        Assert.NotNull(failed.EndedAt);
    }

    [Fact]
    public async Task Fail_requires_an_error_message()
    {
        var id = await Sessions.SpawnAgentSessionAsync("TestAgent", "p", Context(Phase.Test));
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Sessions.FailSessionAsync(id, " "));
        Assert.Equal("error", error.Field);
        Assert.Equal(SessionStatus.Active, (await Sessions.GetSessionAsync(id)).Status);
    }

    [Fact]
    public async Task An_unknown_session_is_not_found_everywhere()
    {
        var unknown = Guid.NewGuid();
        var calls = new Func<Task>[]
        {
            () => Sessions.GetSessionAsync(unknown),
            () => Sessions.HandoffAsync(unknown, "ReviewAgent", Context(Phase.Review)),
            () => Sessions.CompleteSessionAsync(unknown),
            () => Sessions.FailSessionAsync(unknown, "x"),
            () => Sessions.GetSessionLineageAsync(unknown),
            () => Sessions.GetDescendantsAsync(unknown),
        };

        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<SessionNotFoundException>(call);
            Assert.Equal(unknown, error.SessionId);
        }
    }

    [Fact]
    public async Task Twenty_concurrent_handoffs_of_one_session_have_exactly_one_winner()
    {
        var parentId = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "race", Context(Phase.CodeGeneration));
        var before = await Sessions.GetStatsAsync();

        var attempts = Enumerable.Range(0, 20)
            .Select(i => Sessions.HandoffAsync(parentId, $"ReviewAgent{i}", Context(Phase.Review)))
            .ToList();
        var outcomes = await Task.WhenAll(attempts.Select(async t =>
        {
            try
            {
                return (Child: (Guid?)await t, Error: (Exception?)null);
            }
            catch (Exception ex)
            {
                return (Child: null, Error: ex);
            }
        }));

        var winner = Assert.Single(outcomes, o => o.Child is not null);
        Assert.All(outcomes.Where(o => o.Child is null), o =>
        {
            var error = Assert.IsType<InvalidTransitionException>(o.Error);
            Assert.Equal("HandedOff", error.CurrentStatus);
        });

        var parent = await Sessions.GetSessionAsync(parentId);
        Assert.Equal([winner.Child!.Value], parent.ChildSessions);
        var after = await Sessions.GetStatsAsync();
        Assert.Equal(before.Total + 1, after.Total);
    }

    [Fact]
    public async Task Lineage_runs_from_the_root_to_the_asked_session_and_descendants_cover_the_subtree()
    {
        var codegen = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", Context(Phase.CodeGeneration));
        var review = await Sessions.HandoffAsync(codegen, "ReviewAgent", Context(Phase.Review));
        var test = await Sessions.HandoffAsync(review, "TestAgent", Context(Phase.Test));
        var deploy = await Sessions.HandoffAsync(test, "DeployAgent", Context(Phase.Merge));

        var lineage = await Sessions.GetSessionLineageAsync(test);
        Assert.Equal([codegen, review, test], lineage.Select(s => s.Id));
        Assert.Equal([SessionStatus.HandedOff, SessionStatus.HandedOff, SessionStatus.HandedOff], lineage.Select(s => s.Status));

        var full = await Sessions.GetSessionLineageAsync(deploy);
        Assert.Equal(["CodeGenAgent", "ReviewAgent", "TestAgent", "DeployAgent"], full.Select(s => s.AgentName));
        Assert.Equal(SessionStatus.Active, full[^1].Status);

        Assert.Equal([codegen], (await Sessions.GetSessionLineageAsync(codegen)).Select(s => s.Id));
        Assert.Equal([review, test, deploy], (await Sessions.GetDescendantsAsync(codegen)).Select(s => s.Id));
        Assert.Empty(await Sessions.GetDescendantsAsync(deploy));
    }

    [Fact]
    public async Task Stats_follow_every_transition()
    {
        var before = await Sessions.GetStatsAsync();

        var a = await Sessions.SpawnAgentSessionAsync("CodeGenAgent", "stats", Context(Phase.CodeGeneration));
        var b = await Sessions.HandoffAsync(a, "ReviewAgent", Context(Phase.Review));
        var c = await Sessions.SpawnAgentSessionAsync("TestAgent", "stats", Context(Phase.Test));
        await Sessions.CompleteSessionAsync(b);
        await Sessions.FailSessionAsync(c, "flaky");
        await Sessions.SpawnAgentSessionAsync("DeployAgent", "stats", Context(Phase.Merge));

        var after = await Sessions.GetStatsAsync();
        Assert.Equal(before.Total + 4, after.Total);
        Assert.Equal(before.Active + 1, after.Active);
        Assert.Equal(before.HandedOff + 1, after.HandedOff);
        Assert.Equal(before.Completed + 1, after.Completed);
        Assert.Equal(before.Failed + 1, after.Failed);
        Assert.Equal(after.Total, after.Active + after.HandedOff + after.Completed + after.Failed);
    }

    [Fact]
    public async Task Listing_by_status_is_newest_first_and_pages_without_gaps_or_repeats()
    {
        var marker = $"list-{Guid.NewGuid():N}";
        var spawned = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            spawned.Add(await Sessions.SpawnAgentSessionAsync("ListAgent", marker, Context(Phase.Test)));
        }

        await Sessions.CompleteSessionAsync(spawned[2]);

        // Page through the newest Active sessions until all of ours have been seen.
        var seen = new List<SessionSnapshot>();
        string? cursor = null;
        do
        {
            var page = await Sessions.ListActiveSessionsAsync(limit: 3, cursor: cursor);
            Assert.True(page.Sessions.Count <= 3);
            Assert.All(page.Sessions, s => Assert.Equal(SessionStatus.Active, s.Status));
            seen.AddRange(page.Sessions);
            cursor = page.NextCursor;
        }
        while (cursor is not null && seen.Count(s => s.Purpose == marker) < 6);

        var ours = seen.Where(s => s.Purpose == marker).Select(s => s.Id).ToList();
        var expected = spawned.Where((_, i) => i != 2).Reverse().ToList();
        Assert.Equal(expected, ours);
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.CreatedAt >= p.Second.CreatedAt));

        var completed = await Sessions.ListSessionsAsync(SessionStatus.Completed, limit: 500);
        Assert.Contains(completed.Sessions, s => s.Id == spawned[2]);
        var all = await Sessions.ListSessionsAsync(null, limit: 10);
        Assert.Equal(spawned[^1], all.Sessions[0].Id);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(501, null)]
    [InlineData(10, "not-a-cursor")]
    [InlineData(10, "MTIzOmFiYw")]
    public async Task Listing_rejects_a_bad_page_size_or_cursor(int limit, string? cursor)
    {
        await Assert.ThrowsAsync<InvalidInputException>(() => Sessions.ListActiveSessionsAsync(limit, cursor));
    }
}
