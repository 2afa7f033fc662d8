using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Agents;

[Collection(SessionClusterCollection.Name)]
public sealed class SteeringAndKillTests(SessionClusterFixture fixture)
{
    private MeshCluster Mesh => fixture.Mesh;

    private async Task<string> NewAgentAsync()
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await Mesh.Agents.RegisterAsync(agentId, "navigation");
        return agentId;
    }

    [Fact]
    public async Task Steer_issues_numbered_directives_and_sets_the_direction()
    {
        var agentId = await NewAgentAsync();
        var first = await Mesh.Agents.SteerAsync(agentId, "north");
        var second = await Mesh.Agents.SteerAsync(agentId, "west", "avoid the ridge");

        Assert.Equal((1L, DirectiveKind.Steer, "north"), (first.Sequence, first.Kind, first.Direction));
        Assert.Equal((2L, "west", "avoid the ridge"), (second.Sequence, second.Direction, second.Message));
        var agent = await Mesh.Agents.GetAgentAsync(agentId);
        Assert.Equal("west", agent.Direction);
        Assert.Equal(2, agent.LastSequence);

        Assert.Equal([second], await Mesh.Agents.GetDirectivesAsync(agentId, afterSequence: 1));
        Assert.Equal([first, second], await Mesh.Agents.GetDirectivesAsync(agentId));
    }

    [Fact]
    public async Task Acknowledging_moves_the_mark_and_an_old_epoch_is_refused()
    {
        var agentId = await NewAgentAsync();
        await Mesh.Agents.SteerAsync(agentId, "east");
        await Mesh.Agents.SteerAsync(agentId, "south");

        var acked = await Mesh.Agents.AcknowledgeAsync(agentId, epoch: 1, sequence: 1);
        Assert.Equal(1, acked.AcknowledgedThrough);
        await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Agents.AcknowledgeAsync(agentId, 1, 3));
        var stale = await Assert.ThrowsAsync<StaleEpochException>(() => Mesh.Agents.AcknowledgeAsync(agentId, epoch: 0, sequence: 2));
        Assert.Equal(1, stale.CurrentEpoch);
        Assert.Equal(1, (await Mesh.Agents.GetAgentAsync(agentId)).AcknowledgedThrough);
    }

    [Fact]
    public async Task A_subscribed_agent_gets_directives_pushed()
    {
        var agentId = await NewAgentAsync();
        var observer = new RecordingObserver();
        await using (await Mesh.Agents.SubscribeAsync(agentId, observer))
        {
            var directive = await Mesh.Agents.SteerAsync(agentId, "up", "climb");
            Assert.Equal(directive, await observer.Next.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task Force_kill_fails_the_session_and_its_active_descendants_and_fences_the_old_epoch()
    {
        var agentId = await NewAgentAsync();
        var session = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext(), agentId: agentId);
        var otherAgentSession = await Mesh.Sessions.SpawnAgentSessionAsync("Unrelated", "p", new SessionContext());
        await Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 1);

        // A handed-off chain below a session the agent ran earlier.
        var earlier = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "earlier", new SessionContext(), agentId: agentId);
        await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.CurrentSession == earlier);
        var review = await Mesh.Sessions.HandoffAsync(earlier, "ReviewAgent", new SessionContext { CurrentPhase = Phase.Review });
        var test = await Mesh.Sessions.HandoffAsync(review, "TestAgent", new SessionContext { CurrentPhase = Phase.Test });

        var killed = await Mesh.Agents.KillAsync(agentId, force: true);
        Assert.Equal(AgentStatus.Killed, killed.Status);
        Assert.Equal(2, killed.Epoch);

        var failed = await Mesh.Sessions.GetSessionAsync(session);
        Assert.Equal((SessionStatus.Failed, "killed"), (failed.Status, failed.Error));
        Assert.Equal(SessionStatus.Failed, (await Mesh.Sessions.GetSessionAsync(test)).Status);
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(otherAgentSession)).Status);

        // Fencing: the zombie process with epoch 1 cannot heartbeat, acknowledge or come back.
        await Assert.ThrowsAsync<StaleEpochException>(() => Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 1));
        await Assert.ThrowsAsync<StaleEpochException>(() => Mesh.Agents.HeartbeatAgentAsync(agentId, epoch: 2));
        await Assert.ThrowsAsync<StaleEpochException>(() => Mesh.Agents.AcknowledgeAsync(agentId, 1, 1));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Mesh.Agents.HeartbeatSessionAsync(session, agentEpoch: 1));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Mesh.Agents.SteerAsync(agentId, "north"));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Mesh.Agents.RegisterAsync(agentId, "navigation"));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext(), agentId: agentId));
        Assert.Equal(AgentStatus.Killed, (await Mesh.Agents.GetAgentAsync(agentId)).Status);
    }

    [Fact]
    public async Task Kill_without_cascade_leaves_descendant_sessions_running()
    {
        var agentId = await NewAgentAsync();
        var earlier = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "earlier", new SessionContext(), agentId: agentId);
        var review = await Mesh.Sessions.HandoffAsync(earlier, "ReviewAgent", new SessionContext { CurrentPhase = Phase.Review });
        var current = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "now", new SessionContext(), agentId: agentId);

        await Mesh.Agents.KillAsync(agentId, force: true, cascade: false);
        Assert.Equal(SessionStatus.Failed, (await Mesh.Sessions.GetSessionAsync(current)).Status);
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(review)).Status);
    }

    [Fact]
    public async Task A_graceful_kill_drains_until_the_kill_directive_is_acknowledged()
    {
        var agentId = await NewAgentAsync();
        var session = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext(), agentId: agentId);

        var draining = await Mesh.Agents.KillAsync(agentId, grace: TimeSpan.FromMinutes(5));
        Assert.Equal(AgentStatus.Draining, draining.Status);
        Assert.Equal(1, draining.Epoch);
        var kill = Assert.Single(await Mesh.Agents.GetDirectivesAsync(agentId));
        Assert.Equal(DirectiveKind.Kill, kill.Kind);
        await Assert.ThrowsAsync<InvalidTransitionException>(() => Mesh.Agents.SteerAsync(agentId, "north"));
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(session)).Status);

        var killed = await Mesh.Agents.AcknowledgeAsync(agentId, epoch: 1, sequence: kill.Sequence);
        Assert.Equal((AgentStatus.Killed, 2L), (killed.Status, killed.Epoch));
        Assert.Equal("killed", (await Mesh.Sessions.GetSessionAsync(session)).Error);
    }

    [Fact]
    public async Task A_graceful_kill_completes_when_the_grace_period_passes()
    {
        var agentId = await NewAgentAsync();
        await Mesh.Agents.KillAsync(agentId, grace: TimeSpan.FromSeconds(1));
        var agent = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Killed);
        Assert.Equal((AgentStatus.Killed, 2L), (agent.Status, agent.Epoch));
    }

    private sealed class RecordingObserver : IAgentObserver
    {
        private readonly TaskCompletionSource<Directive> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Directive> Next => _next.Task;

        public Task OnDirectiveAsync(Directive directive)
        {
            _next.TrySetResult(directive);
            return Task.CompletedTask;
        }
    }
}
