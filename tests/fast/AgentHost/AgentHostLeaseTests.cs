using SessionMesh.Agents;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Agents;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.AgentHost;

/// <summary>Heartbeats of a hosted agent against short TTLs: run alone, so a busy test process does not stretch a gap past a TTL.</summary>
[Collection(LeaseTimingCollection.Name)]
public sealed class AgentHostLeaseTests(SessionClusterFixture fixture)
{
    // Beats every TTL/3: a TTL of 10 s leaves a loaded test process (GC pauses of several seconds
    // were seen) room to miss one beat without the lease running out, which this test is not about.
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private MeshCluster Mesh => fixture.Mesh;

    [Fact]
    public async Task Heartbeats_keep_the_agent_and_session_leases_alive_over_several_ttls()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(Mesh, o =>
        {
            o.AgentId = agentId;
            o.Specialization = "dotnet-hosting";
            o.LeaseTtl = Ttl;
        }, (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token));
        var context = await probe.Started;
        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);

        // Beats renew both leases long after a single TTL would have run out.
        var agentKey = LeaseKey.ForAgent(agentId);
        var sessionKey = LeaseKey.ForSession(context.SessionId);
        var renewedPast = session.CreatedAt + (2 * Ttl);
        var agentLease = await Eventually.WaitForAsync(() => LivenessShards.For(Mesh.Client, agentKey).GetAsync(agentKey), l => l?.LastHeartbeat > renewedPast, AgentHostHarness.Patience);
        var sessionLease = await Eventually.WaitForAsync(() => LivenessShards.For(Mesh.Client, sessionKey).GetAsync(sessionKey), l => l?.LastHeartbeat > renewedPast, AgentHostHarness.Patience);

        Assert.True(agentLease?.LastHeartbeat > renewedPast, $"agent lease: {agentLease}");
        Assert.True(sessionLease?.LastHeartbeat > renewedPast, $"session lease: {sessionLease}");
        Assert.Equal((Ttl, context.Epoch), (agentLease!.Ttl, agentLease.Epoch));
        Assert.Equal(Ttl, sessionLease!.Ttl);
        Assert.Equal(SessionStatus.Active, (await Mesh.Sessions.GetSessionAsync(context.SessionId)).Status);
        var agent = await Mesh.Agents.GetAgentAsync(agentId);
        Assert.Equal((AgentStatus.Busy, (Guid?)context.SessionId), (agent.Status, agent.CurrentSession));
    }
}
