using Microsoft.Extensions.Time.Testing;
using SessionMesh.Agents;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.AgentHost;

/// <summary>
/// A hosted agent's heartbeats against its TTL, on stepped time: the host's timer runs on a fake
/// clock and the mesh on a stepping one, moved together a third of a TTL at a time, so the test
/// neither waits for TTLs to pass nor depends on how busy the machine is.
/// </summary>
public sealed class AgentHostLeaseTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Heartbeats_keep_the_agent_and_session_leases_alive_over_several_ttls()
    {
        var meshClock = new SteppingClock();
        await using var mesh = await MeshCluster.StartAsync(clock: meshClock);
        var hostClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(mesh, o =>
        {
            o.AgentId = agentId;
            o.Specialization = "dotnet-hosting";
            o.LeaseTtl = Ttl;
        }, (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token), hostClock);
        var context = await probe.Started.WaitAsync(TimeSpan.FromSeconds(AgentHostHarness.Patience));
        var session = await mesh.Sessions.GetSessionAsync(context.SessionId);
        var agentKey = LeaseKey.ForAgent(agentId);
        var sessionKey = LeaseKey.ForSession(context.SessionId);

        // Seven beats a third of a TTL apart: the leases outlive two TTLs, renewed at each step.
        for (var step = 1; step <= 7; step++)
        {
            meshClock.Advance(Ttl / 3);
            var due = meshClock.GetUtcNow() - TimeSpan.FromSeconds(30);
            hostClock.Advance(Ttl / 3);
            var agentBeat = await Eventually.WaitForAsync(() => LivenessShards.For(mesh.Client, agentKey).GetAsync(agentKey), l => l?.LastHeartbeat >= due, AgentHostHarness.Patience);
            var sessionBeat = await Eventually.WaitForAsync(() => LivenessShards.For(mesh.Client, sessionKey).GetAsync(sessionKey), l => l?.LastHeartbeat >= due, AgentHostHarness.Patience);
            Assert.True(agentBeat?.LastHeartbeat >= due, $"step {step}: agent lease {agentBeat}");
            Assert.True(sessionBeat?.LastHeartbeat >= due, $"step {step}: session lease {sessionBeat}");
            Assert.Equal((Ttl, context.Epoch, LeaseHealth.Alive), (agentBeat!.Ttl, agentBeat.Epoch, agentBeat.Health));
            Assert.Equal((Ttl, LeaseHealth.Alive), (sessionBeat!.Ttl, sessionBeat.Health));
        }

        Assert.True(meshClock.GetUtcNow() > session.CreatedAt + (2 * Ttl));
        Assert.Equal(SessionStatus.Active, (await mesh.Sessions.GetSessionAsync(context.SessionId)).Status);
        var agent = await mesh.Agents.GetAgentAsync(agentId);
        Assert.Equal((AgentStatus.Busy, (Guid?)context.SessionId), (agent.Status, agent.CurrentSession));
    }
}
