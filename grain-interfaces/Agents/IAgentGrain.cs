using Orleans.Concurrency;

namespace SessionMesh.Agents;

/// <summary>
/// One agent (keyed by its id, e.g. "123"): specializations, status, current session, steering
/// state and fencing epoch. Every agent rule lives here.
/// </summary>
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Registers the agent under a specialization, creating the agent if needed. Registering again is a no-op.
    /// A lease TTL starts its heartbeat lease now. Throws <see cref="Errors.InvalidTransitionException"/> if Killed.
    /// </summary>
    Task<AgentSnapshot> RegisterAsync(string specialization, string? displayName = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a specialization. Throws <see cref="Errors.AgentNotFoundException"/> for an unknown agent.</summary>
    Task<AgentSnapshot> DeregisterAsync(string specialization, CancellationToken cancellationToken = default);

    /// <summary>Reads the agent. Throws <see cref="Errors.AgentNotFoundException"/> if it was never registered.</summary>
    Task<AgentSnapshot> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Issues a steer directive and sets the current direction.</summary>
    Task<Directive> SteerAsync(string direction, string? message = null, CancellationToken cancellationToken = default);

    /// <summary>Directives issued after a sequence number, oldest first.</summary>
    Task<IReadOnlyList<Directive>> GetDirectivesAsync(long afterSequence, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Acknowledges every directive up to <paramref name="sequence"/>. Throws
    /// <see cref="Errors.StaleEpochException"/> when <paramref name="epoch"/> is not the current one.
    /// Acknowledging a kill directive completes a graceful kill.
    /// </summary>
    Task<AgentSnapshot> AcknowledgeAsync(long epoch, long sequence, CancellationToken cancellationToken = default);

    /// <summary>Pushes every new directive to <paramref name="observer"/> until unsubscribed (re-subscribe within a minute).</summary>
    Task SubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Stops pushing to <paramref name="observer"/>.</summary>
    Task UnsubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Kills the agent: gracefully (Draining, then Killed) or, with Force, at once. Bumps the epoch.</summary>
    Task<AgentSnapshot> KillAsync(KillRequest request, CancellationToken cancellationToken = default);

    /// <summary>Called by a session the agent runs when it starts; returns the agent's epoch.</summary>
    Task<long> AttachSessionAsync(Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>Called (one-way) by a session the agent ran when it leaves Active.</summary>
    [OneWay]
    Task SessionEndedAsync(Guid sessionId);

    /// <summary>Called by the liveness tracker before it starts a lease: throws if the epoch or status forbids it.</summary>
    Task BeginLeaseAsync(long epoch, CancellationToken cancellationToken = default);

    /// <summary>Called by the liveness tracker when the lease ran out: the agent becomes Lost (or Killed if Draining).</summary>
    Task LeaseExpiredAsync(long epoch, CancellationToken cancellationToken = default);
}
