using SessionMesh.Agents;
using SessionMesh.Discovery;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Registry;

namespace SessionMesh.Client;

/// <summary>
/// The agent half of the mesh from .NET: register agents by specialization, steer, kill, heartbeat
/// and discover. Heartbeats go straight to the liveness shard that tracks the lease (one call).
/// </summary>
public sealed class AgentMesh(IGrainFactory grains)
{
    private IDiscoveryGrain Discovery => grains.GetGrain<IDiscoveryGrain>(0);

    /// <summary>Registers <paramref name="agentId"/> under a specialization (creating the agent if needed).</summary>
    public Task<AgentSnapshot> RegisterAsync(string agentId, string specialization, string? displayName = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default) =>
        Agent(agentId).RegisterAsync(specialization, displayName, leaseTtl, cancellationToken);

    /// <summary>Removes a specialization from an agent.</summary>
    public Task<AgentSnapshot> DeregisterAsync(string agentId, string specialization, CancellationToken cancellationToken = default) =>
        Agent(agentId).DeregisterAsync(specialization, cancellationToken);

    /// <summary>Reads an agent.</summary>
    public Task<AgentSnapshot> GetAgentAsync(string agentId, CancellationToken cancellationToken = default) =>
        Agent(agentId).GetAsync(cancellationToken);

    /// <summary>Steers an agent in a direction; returns the directive.</summary>
    public Task<Directive> SteerAsync(string agentId, string direction, string? message = null, CancellationToken cancellationToken = default) =>
        Agent(agentId).SteerAsync(direction, message, cancellationToken);

    /// <summary>Directives issued to an agent after a sequence number.</summary>
    public Task<IReadOnlyList<Directive>> GetDirectivesAsync(string agentId, long afterSequence = 0, int limit = 100, CancellationToken cancellationToken = default) =>
        Agent(agentId).GetDirectivesAsync(afterSequence, limit, cancellationToken);

    /// <summary>Acknowledges directives up to a sequence number, as the agent process with <paramref name="epoch"/>.</summary>
    public Task<AgentSnapshot> AcknowledgeAsync(string agentId, long epoch, long sequence, CancellationToken cancellationToken = default) =>
        Agent(agentId).AcknowledgeAsync(epoch, sequence, cancellationToken);

    /// <summary>Kills an agent: gracefully, or at once with <paramref name="force"/>.</summary>
    public Task<AgentSnapshot> KillAsync(string agentId, bool force = false, bool cascade = true, TimeSpan? grace = null, CancellationToken cancellationToken = default) =>
        Agent(agentId).KillAsync(new KillRequest { Force = force, Cascade = cascade, Grace = grace }, cancellationToken);

    /// <summary>Heartbeats an agent's lease (TTL default 30 s).</summary>
    public Task<LeaseInfo> HeartbeatAgentAsync(string agentId, long epoch, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var key = LeaseKey.ForAgent(Validate.Id(Validate.AgentIdField, agentId));
        return LivenessShards.For(grains, key).HeartbeatAsync(key, epoch, ttl, cancellationToken);
    }

    /// <summary>Heartbeats a session's lease; <paramref name="agentEpoch"/> is the epoch of the agent running it (0 if none).</summary>
    public Task<LeaseInfo> HeartbeatSessionAsync(Guid sessionId, long agentEpoch = 0, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var key = LeaseKey.ForSession(sessionId);
        return LivenessShards.For(grains, key).HeartbeatAsync(key, agentEpoch, ttl, cancellationToken);
    }

    /// <summary>Receives an agent's directives as they are issued. Keep the returned handle alive; dispose it to stop.</summary>
    public async Task<DirectiveSubscription> SubscribeAsync(string agentId, IAgentObserver observer, CancellationToken cancellationToken = default)
    {
        var reference = grains.CreateObjectReference<IAgentObserver>(observer);
        await Agent(agentId).SubscribeAsync(reference, cancellationToken);
        return new DirectiveSubscription(Agent(agentId), reference);
    }

    /// <summary>Sessions by filter: active, alive, stale or all; by agent or specialization; paged.</summary>
    public Task<DiscoveryPage> DiscoverAsync(DiscoveryQuery query, CancellationToken cancellationToken = default) =>
        Discovery.DiscoverSessionsAsync(query, cancellationToken);

    /// <summary>Agents of a specialization, optionally only alive or idle ones.</summary>
    public Task<IReadOnlyList<FoundAgent>> FindAgentsAsync(string specialization, AgentFilter filter = AgentFilter.Any, string? afterAgentId = null, int limit = 100, CancellationToken cancellationToken = default) =>
        Discovery.FindAgentsAsync(specialization, filter, afterAgentId, limit, cancellationToken);

    /// <summary>Every specialization with its agent count.</summary>
    public Task<IReadOnlyList<SpecializationCount>> ListSpecializationsAsync(CancellationToken cancellationToken = default) =>
        Discovery.ListSpecializationsAsync(cancellationToken);

    /// <summary>Session counts and lease/kill event counts.</summary>
    public Task<MeshStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        Discovery.GetStatsAsync(cancellationToken);

    private IAgentGrain Agent(string agentId) => grains.GetGrain<IAgentGrain>(Validate.Id(Validate.AgentIdField, agentId));
}

/// <summary>A live directive subscription. The agent forgets observers it has not heard from in a minute: renew within that.</summary>
public sealed class DirectiveSubscription(IAgentGrain agent, IAgentObserver reference) : IAsyncDisposable
{
    /// <summary>Renews the subscription.</summary>
    public Task RenewAsync(CancellationToken cancellationToken = default) => agent.SubscribeAsync(reference, cancellationToken);

    public async ValueTask DisposeAsync() => await agent.UnsubscribeAsync(reference);
}
