using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Agents;

/// <summary>
/// A session's end and a registration reach other grains as follow-up steps; when storage refuses
/// one, it is retried until it lands, without anyone calling again.
/// </summary>
public sealed class SessionEndTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>Refuses every update of one agent's stored state (its row is keyed by the agent id).</summary>
    private static Task RefuseAgentUpdatesAsync(MeshCluster mesh, string agentId) => mesh.ExecuteSqlAsync($"""
        CREATE TRIGGER test_refuse_agent BEFORE UPDATE ON OrleansStorage
        WHEN OLD.GrainIdExtensionString LIKE '%{agentId}%'
        BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
        """);

    [Fact]
    public async Task A_session_end_the_agent_could_not_record_lands_once_storage_is_back_without_any_call()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var agentId = $"agent-{Guid.NewGuid():N}";
        const string Spec = "session-end";
        await mesh.Agents.RegisterAsync(agentId, Spec);
        var session = await mesh.Sessions.SpawnAgentSessionAsync("CodeGenAgent", "end", new SessionContext(), agentId: agentId);
        await Eventually.WaitForAsync(() => mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Busy, Generous.TotalSeconds);

        await RefuseAgentUpdatesAsync(mesh, agentId);
        await mesh.Sessions.CompleteSessionAsync(session);

        // The session is Completed; the agent heard of it one-way and could not write it down.
        Assert.Equal(SessionStatus.Completed, (await mesh.Sessions.GetSessionAsync(session)).Status);
        Assert.Equal(AgentStatus.Busy, (await mesh.Agents.GetAgentAsync(agentId)).Status);

        await mesh.ExecuteSqlAsync("DROP TRIGGER test_refuse_agent;");

        // Reading the agent drives nothing: its own retry makes it Idle, and its registry follows.
        var agent = await Eventually.WaitForAsync(() => mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle, Generous.TotalSeconds);
        Assert.Null(agent.CurrentSession);
        await Eventually.WaitForAsync(
            () => mesh.Agents.FindAgentsAsync(Spec, AgentFilter.Idle),
            found => found.Any(a => a.AgentId == agentId),
            Generous.TotalSeconds);
    }

    [Fact]
    public async Task A_registration_whose_registry_cannot_write_is_listed_once_storage_is_back_and_never_before_the_agent_exists()
    {
        await using var mesh = await MeshCluster.StartAsync();
        const string Spec = "registry-catch-up";
        await mesh.Agents.RegisterAsync($"agent-{Guid.NewGuid():N}", Spec); // the registry row exists: the next entry is an update

        var agentId = $"agent-{Guid.NewGuid():N}";
        await mesh.ExecuteSqlAsync($"""
            CREATE TRIGGER test_refuse_registry BEFORE UPDATE ON OrleansStorage
            WHEN OLD.GrainIdExtensionString LIKE '%{Spec}%'
            BEGIN SELECT RAISE(ABORT, 'I/O error (injected)'); END;
            """);

        // The agent's own write is the record: registration answers, the registry is told later.
        var registered = await mesh.Agents.RegisterAsync(agentId, Spec);
        Assert.Equal([Spec], registered.Specializations);
        Assert.DoesNotContain(await mesh.Agents.FindAgentsAsync(Spec, AgentFilter.Any), a => a.AgentId == agentId);

        await mesh.ExecuteSqlAsync("DROP TRIGGER test_refuse_registry;");
        var found = await Eventually.WaitForAsync(
            () => mesh.Agents.FindAgentsAsync(Spec, AgentFilter.Any),
            agents => agents.Any(a => a.AgentId == agentId),
            Generous.TotalSeconds);
        Assert.Equal(AgentStatus.Idle, Assert.Single(found, a => a.AgentId == agentId).Status);
        Assert.Contains(await mesh.Agents.ListSpecializationsAsync(), s => s.Specialization == Spec && s.Agents == 2);
    }
}
