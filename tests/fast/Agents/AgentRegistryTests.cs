using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Errors;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Agents;

[Collection(SessionClusterCollection.Name)]
public sealed class AgentRegistryTests(SessionClusterFixture fixture)
{
    private MeshCluster Mesh => fixture.Mesh;

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task Register_creates_the_agent_indexes_it_and_is_a_no_op_the_second_time()
    {
        var agentId = NewId("agent");
        var spec = NewId("image-processing");

        var agent = await Mesh.Agents.RegisterAsync(agentId, spec, displayName: "Imager");
        Assert.Equal(AgentStatus.Idle, agent.Status);
        Assert.Equal(1, agent.Epoch);
        Assert.Equal([spec], agent.Specializations);
        Assert.Equal("Imager", agent.DisplayName);

        var again = await Mesh.Agents.RegisterAsync(agentId, spec);
        Assert.Equal(agent.UpdatedAt, again.UpdatedAt);
        Assert.Equal([spec], again.Specializations);

        var found = await Mesh.Agents.FindAgentsAsync(spec);
        Assert.Equal([agentId], found.Select(a => a.AgentId));
        Assert.Contains(await Mesh.Agents.ListSpecializationsAsync(), s => s.Specialization == spec && s.Agents == 1);
    }

    [Fact]
    public async Task Deregister_removes_the_agent_from_the_specialization()
    {
        var agentId = NewId("agent");
        var spec = NewId("data-analysis");
        var other = NewId("reporting");
        await Mesh.Agents.RegisterAsync(agentId, spec);
        await Mesh.Agents.RegisterAsync(agentId, other);

        var agent = await Mesh.Agents.DeregisterAsync(agentId, spec);
        Assert.Equal([other], agent.Specializations);
        Assert.Empty(await Mesh.Agents.FindAgentsAsync(spec));
        Assert.DoesNotContain(await Mesh.Agents.ListSpecializationsAsync(), s => s.Specialization == spec);
        Assert.Single(await Mesh.Agents.FindAgentsAsync(other));
    }

    [Theory]
    [InlineData("", "spec", Validate.AgentIdField)]
    [InlineData("ok", "", "specialization")]
    [InlineData("bad\nid", "spec", Validate.AgentIdField)]
    [InlineData("ok", "spec\u0000", "specialization")]
    public async Task Malformed_ids_and_specializations_are_refused_with_the_field_named(string agentId, string spec, string field)
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Agents.RegisterAsync(agentId, spec));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Over_long_ids_and_specializations_are_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Agents.RegisterAsync(NewId("a"), new string('s', 201)));
        Assert.Equal("specialization", error.Field);
        var sessionError = await Assert.ThrowsAsync<InvalidInputException>(() => Mesh.Sessions.SpawnAgentSessionAsync("A", "p", new SessionContext(), agentId: new string('a', 201)));
        Assert.Equal(nameof(SessionSpawn.AgentId), sessionError.Field);
    }

    [Fact]
    public async Task An_unknown_agent_is_not_found()
    {
        var unknown = NewId("ghost");
        await Assert.ThrowsAsync<AgentNotFoundException>(() => Mesh.Agents.GetAgentAsync(unknown));
        await Assert.ThrowsAsync<AgentNotFoundException>(() => Mesh.Agents.SteerAsync(unknown, "north"));
        await Assert.ThrowsAsync<AgentNotFoundException>(() => Mesh.Agents.KillAsync(unknown, force: true));
        await Assert.ThrowsAsync<AgentNotFoundException>(() => Mesh.Agents.DeregisterAsync(unknown, "spec"));
    }

    [Fact]
    public async Task An_agent_is_busy_while_its_session_is_active_and_idle_after()
    {
        var agentId = NewId("agent");
        var spec = NewId("codegen");
        await Mesh.Agents.RegisterAsync(agentId, spec);

        var session = await Mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "p", new SessionContext(), agentId: agentId);
        var busy = await Mesh.Agents.GetAgentAsync(agentId);
        Assert.Equal(AgentStatus.Busy, busy.Status);
        Assert.Equal(session, busy.CurrentSession);
        Assert.Equal(1, (await Mesh.Sessions.GetSessionAsync(session)).AgentEpoch);
        Assert.Empty(await Mesh.Agents.FindAgentsAsync(spec, AgentFilter.Idle));

        await Mesh.Sessions.CompleteSessionAsync(session);
        var idle = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle);
        Assert.Null(idle.CurrentSession);
        Assert.Equal([agentId], (await Mesh.Agents.FindAgentsAsync(spec, AgentFilter.Idle)).Select(a => a.AgentId));
    }

    [Fact]
    public async Task Find_agents_pages_in_id_order_and_filters_alive_ones()
    {
        var spec = NewId("mesh-routing");
        var ids = Enumerable.Range(0, 5).Select(i => $"{spec}-agent-{i}").ToList();
        foreach (var id in ids)
        {
            await Mesh.Agents.RegisterAsync(id, spec);
        }

        var firstPage = await Mesh.Agents.FindAgentsAsync(spec, limit: 2);
        var secondPage = await Mesh.Agents.FindAgentsAsync(spec, afterAgentId: firstPage[^1].AgentId, limit: 10);
        Assert.Equal(ids, firstPage.Concat(secondPage).Select(a => a.AgentId));

        await Mesh.Agents.HeartbeatAgentAsync(ids[3], epoch: 1);
        var alive = await Mesh.Agents.FindAgentsAsync(spec, AgentFilter.Alive);
        Assert.Equal([ids[3]], alive.Select(a => a.AgentId));
        Assert.NotNull(alive[0].Lease);
    }

}
