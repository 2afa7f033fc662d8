using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Recovery;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Topology;

namespace SessionMesh.Tests.Agents;

/// <summary>A kill's follow-through is a recorded intent that always finishes: after a grace period, a cancelled request, a race, a restart.</summary>
public sealed class KillFollowThroughTests
{
    private const string Spec = "navigation";

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>An agent running one Active session, plus an earlier session of it handed off to a child that is still Active.</summary>
    private static async Task<(string Agent, Guid Current, Guid DescendantChild)> AgentWithWorkAsync(MeshCluster mesh)
    {
        var agentId = $"agent-{Guid.NewGuid():N}";
        await mesh.Agents.RegisterAsync(agentId, Spec);
        var earlier = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "earlier", new SessionContext(), agentId: agentId);
        var child = await mesh.Sessions.HandoffAsync(earlier, "ReviewAgent", new SessionContext { CurrentPhase = Phase.Review });
        var current = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "now", new SessionContext(), agentId: agentId);
        await Eventually.WaitForAsync(() => mesh.Agents.GetAgentAsync(agentId), a => a.CurrentSession == current);
        return (agentId, current, child);
    }

    private static async Task AssertKilledThroughAsync(MeshCluster mesh, string agentId, Guid current, Guid descendant, long killedCount)
    {
        var agent = await mesh.Agents.GetAgentAsync(agentId);
        Assert.Equal((AgentStatus.Killed, 2L), (agent.Status, agent.Epoch));
        var session = await mesh.Sessions.GetSessionAsync(current);
        Assert.Equal((SessionStatus.Failed, "killed"), (session.Status, session.Error));
        var cascaded = await mesh.Sessions.GetSessionAsync(descendant);
        Assert.Equal(SessionStatus.Failed, cascaded.Status);
        Assert.StartsWith("killed", cascaded.Error, StringComparison.Ordinal);
        var registered = Assert.Single(await mesh.Agents.FindAgentsAsync(Spec, AgentFilter.Any), a => a.AgentId == agentId);
        Assert.Equal(AgentStatus.Killed, registered.Status);
        Assert.Equal(killedCount, (await mesh.Agents.GetStatsAsync()).AgentsKilled);
    }

    /// <summary>
    /// Regression, found by the model test (replay "6422834081900238966,17808929932016945437,41"): a
    /// kill with cascade sent while a kill without one drained was answered Draining and its cascade
    /// dropped, and a forced kill without cascade replaced an earlier cascade. Kills only widen.
    /// </summary>
    [Fact]
    public async Task A_cascade_asked_for_while_an_agent_drains_widens_the_kill_and_no_later_kill_narrows_it()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var (agentId, current, descendant) = await AgentWithWorkAsync(mesh);
        Assert.Equal(AgentStatus.Draining, (await mesh.Agents.KillAsync(agentId, cascade: false, grace: TimeSpan.FromMinutes(10))).Status);
        Assert.Equal(AgentStatus.Draining, (await mesh.Agents.KillAsync(agentId, cascade: true, grace: TimeSpan.FromMinutes(10))).Status);
        Assert.Equal(AgentStatus.Killed, (await mesh.Agents.KillAsync(agentId, force: true, cascade: false)).Status);

        await Eventually.WaitForAsync(
            () => mesh.Sessions.GetSessionAsync(descendant), s => s.Status == SessionStatus.Failed, seconds: Generous.TotalSeconds);
        Assert.StartsWith("killed", (await mesh.Sessions.GetSessionAsync(descendant)).Error, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Failed, (await mesh.Sessions.GetSessionAsync(current)).Status);
    }

    [Fact]
    public async Task A_graceful_kill_ended_by_its_grace_period_finishes_everything_once_and_for_good()
    {
        var directory = MeshCluster.NewDataDirectory();
        string agentId;
        Guid current, descendant;
        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            (agentId, current, descendant) = await AgentWithWorkAsync(mesh);
            var killedBefore = (await mesh.Agents.GetStatsAsync()).AgentsKilled;
            Assert.Equal(AgentStatus.Draining, (await mesh.Agents.KillAsync(agentId, grace: TimeSpan.FromSeconds(1))).Status);

            // Nobody acknowledges: the deadline ends the drain, and the whole follow-through must follow.
            await Eventually.WaitForAsync(
                () => mesh.Sessions.GetSessionAsync(descendant), s => s.Status == SessionStatus.Failed, seconds: Generous.TotalSeconds);
            await Eventually.WaitForAsync(
                () => mesh.Agents.GetStatsAsync(), s => s.AgentsKilled == killedBefore + 1, seconds: Generous.TotalSeconds);
            await AssertKilledThroughAsync(mesh, agentId, current, descendant, killedBefore + 1);
            // Events reach the log through the topology stream, a moment after the state they describe.
            var events = await Eventually.WaitForAsync(
                () => mesh.Client.GetGrain<ITopologyLogGrain>(TopologyStream.Key).ReadAsync(0),
                e => e.Any(x => x.Event.Kind == TopologyEventKind.AgentKilled && x.Event.Subject == agentId), seconds: Generous.TotalSeconds);
            var killed = Assert.Single(events, e => e.Event.Kind == TopologyEventKind.AgentKilled && e.Event.Subject == agentId);
            Assert.Equal("grace period over", killed.Event.Detail);

            // Nothing is broken, so a second kill and an explicit resume repair nothing.
            var sessionBefore = await mesh.Sessions.GetSessionAsync(current);
            Assert.Equal(AgentStatus.Killed, (await mesh.Agents.KillAsync(agentId)).Status);
            Assert.Equal(0, await mesh.Client.GetGrain<IAgentGrain>(agentId).ResumeAsync());
            Assert.Equal(sessionBefore, await mesh.Sessions.GetSessionAsync(current));
            Assert.Equal(killedBefore + 1, (await mesh.Agents.GetStatsAsync()).AgentsKilled);
            Assert.Single(await mesh.Client.GetGrain<ITopologyLogGrain>(TopologyStream.Key).ReadAsync(0), e => e.Event.Kind == TopologyEventKind.AgentKilled && e.Event.Subject == agentId);
        }

        await using (var restarted = await MeshCluster.StartAsync(directory))
        {
            await AssertKilledThroughAsync(restarted, agentId, current, descendant, 1);
        }
    }

    [Fact]
    public async Task A_kill_whose_caller_cancels_mid_call_still_fails_every_cascaded_session()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var landed = 0;
        for (var round = 0; round < 16; round++)
        {
            var (agentId, current, descendant) = await AgentWithWorkAsync(mesh);
            using var cancel = new CancellationTokenSource();
            var kill = mesh.Agents.KillAsync(agentId, force: true, cancellationToken: cancel.Token);
            cancel.CancelAfter(TimeSpan.FromMilliseconds(1 + round % 4));
            var cancelled = false;
            try
            {
                await kill.WaitAsync(Generous);
            }
            catch (OperationCanceledException)
            {
                // The caller stopped waiting. A kill cancelled before the grain took it never happened;
                // one the grain took must not stop half-way. Either is allowed, anything between is not.
                cancelled = true;
            }

            // Recovery: the reminder, or anyone asking the agent to resume, finishes a recorded kill.
            await mesh.Client.GetGrain<IAgentGrain>(agentId).ResumeAsync();
            var agent = await mesh.Agents.GetAgentAsync(agentId);
            var expected = agent.Status == AgentStatus.Killed ? SessionStatus.Failed : SessionStatus.Active;
            Assert.True(agent.Status == AgentStatus.Killed || cancelled, $"round {round}: an uncancelled forced kill left the agent {agent.Status}");
            Assert.True(agent.Status is AgentStatus.Killed or AgentStatus.Busy, $"round {round}: agent is {agent.Status}");
            Assert.Equal(expected, (await mesh.Sessions.GetSessionAsync(current)).Status);
            Assert.Equal(expected, (await mesh.Sessions.GetSessionAsync(descendant)).Status);
            landed += agent.Status == AgentStatus.Killed ? 1 : 0;
        }

        // Most cancellations come after the grain took the kill; a run where none did tested nothing.
        Assert.True(landed > 0, "no kill reached the agent before its caller cancelled");
    }

    [Fact]
    public async Task A_forced_kill_racing_a_handoff_to_a_child_run_by_the_same_agent_never_hangs_and_leaves_nothing_active()
    {
        await using var mesh = await MeshCluster.StartAsync();
        const int Rounds = 200;
        for (var round = 0; round < Rounds; round++)
        {
            var agentId = $"agent-{Guid.NewGuid():N}";
            await mesh.Agents.RegisterAsync(agentId, Spec);
            var session = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "race", new SessionContext(), agentId: agentId);

            // The cycle this once deadlocked on: agent → session (kill), session → child (handoff), child → agent (attach).
            var handoff = CaptureAsync(() => mesh.Client.GetGrain<ISessionGrain>(session).HandoffAsync(
                new SessionHandoff { ToAgent = "ReviewAgent", AgentId = agentId, Context = new SessionContext { CurrentPhase = Phase.Review } }));
            var kill = CaptureAsync(() => mesh.Agents.KillAsync(agentId, force: true));
            var outcomes = await Task.WhenAll(handoff, kill).WaitAsync(Generous);
            Assert.All(outcomes, o => Assert.True(o is null or Errors.InvalidTransitionException, $"round {round}: {o}"));

            await mesh.Client.GetGrain<ISessionGrain>(session).ResumeAsync();
            await mesh.Client.GetGrain<IAgentGrain>(agentId).ResumeAsync();
            Assert.Equal(AgentStatus.Killed, (await mesh.Agents.GetAgentAsync(agentId)).Status);
            var parent = await mesh.Sessions.GetSessionAsync(session);
            Assert.NotEqual(SessionStatus.Active, parent.Status);
            foreach (var child in parent.ChildSessions)
            {
                Assert.NotEqual(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(child)).Status);
            }
        }
    }

    private static async Task<Exception?> CaptureAsync<T>(Func<Task<T>> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
