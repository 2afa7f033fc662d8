using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.Agents;

/// <summary>Directives live in their own rows: capped while unacknowledged, compacted once acknowledged, readable after a restart.</summary>
public sealed class DirectiveStorageTests
{
    [Fact]
    public async Task Unacknowledged_directives_are_capped_and_acknowledging_makes_room()
    {
        await using var mesh = await MeshCluster.StartAsync();
        var agentId = $"agent-{Guid.NewGuid():N}";
        await mesh.Agents.RegisterAsync(agentId, "navigation");
        for (var i = 0; i < MeshLimits.MaxUnacknowledgedDirectives; i++)
        {
            await mesh.Agents.SteerAsync(agentId, $"d{i}");
        }

        var full = await Assert.ThrowsAsync<DirectiveLimitException>(() => mesh.Agents.SteerAsync(agentId, "one too many"));
        Assert.Equal(MeshLimits.MaxUnacknowledgedDirectives, full.Limit);
        Assert.Equal(MeshLimits.MaxUnacknowledgedDirectives, (await mesh.Agents.GetAgentAsync(agentId)).LastSequence);

        await mesh.Agents.AcknowledgeAsync(agentId, 1, MeshLimits.MaxUnacknowledgedDirectives);
        var next = await mesh.Agents.SteerAsync(agentId, "room again");
        Assert.Equal(MeshLimits.MaxUnacknowledgedDirectives + 1, next.Sequence);

        // Acknowledged directives beyond the retained window are compacted away; the rest still read in order.
        var readable = await mesh.Agents.GetDirectivesAsync(agentId, afterSequence: 0, limit: 1000);
        Assert.Equal(MeshLimits.RetainedAcknowledgedDirectives + 1, readable.Count);
        Assert.Equal(next, readable[^1]);
        Assert.Equal(Enumerable.Range(MeshLimits.MaxUnacknowledgedDirectives - MeshLimits.RetainedAcknowledgedDirectives + 1, MeshLimits.RetainedAcknowledgedDirectives + 1).Select(i => (long)i), readable.Select(d => d.Sequence));
    }

    [Fact]
    public async Task Directives_and_a_pending_kill_directive_survive_a_restart()
    {
        var directory = MeshCluster.NewDataDirectory();
        var agentId = $"agent-{Guid.NewGuid():N}";
        Directive steer;
        await using (var mesh = await MeshCluster.StartAsync(directory))
        {
            await mesh.Agents.RegisterAsync(agentId, "navigation");
            steer = await mesh.Agents.SteerAsync(agentId, "west", "avoid the ridge");
            await mesh.Agents.KillAsync(agentId, grace: TimeSpan.FromMinutes(10));
        }

        await using var restarted = await MeshCluster.StartAsync(directory);
        var directives = await restarted.Agents.GetDirectivesAsync(agentId);
        Assert.Equal([steer.Sequence, steer.Sequence + 1], directives.Select(d => d.Sequence));
        Assert.Equal(steer, directives[0]);
        Assert.Equal(DirectiveKind.Kill, directives[1].Kind);
        var killed = await restarted.Agents.AcknowledgeAsync(agentId, 1, directives[1].Sequence);
        Assert.Equal(AgentStatus.Killed, killed.Status);
    }
}
