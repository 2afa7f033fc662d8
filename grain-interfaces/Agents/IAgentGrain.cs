using Orleans.Concurrency;
using SessionMesh.Recovery;

namespace SessionMesh.Agents;

/// <summary>
/// One agent (keyed by its id, e.g. "123"): specializations, status, current session, steering
/// state and fencing epoch. Every agent rule lives here. Callbacks only other grains make
/// (session attachment, leases) are on an internal protocol interface.
/// </summary>
[Alias("SessionMesh.Agents.IAgentGrain")]
public interface IAgentGrain : IGrainWithStringKey, IResumableGrain
{
    /// <summary>
    /// Registers the agent under a specialization, creating the agent if needed. Registering again is a no-op.
    /// A lease TTL starts its heartbeat lease now. Throws <see cref="Errors.InvalidTransitionException"/> if Killed.
    /// </summary>
    [Alias("register")]
    Task<AgentSnapshot> RegisterAsync(string specialization, string? displayName = null, TimeSpan? leaseTtl = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a specialization. Throws <see cref="Errors.AgentNotFoundException"/> for an unknown agent.</summary>
    [Alias("deregister")]
    Task<AgentSnapshot> DeregisterAsync(string specialization, CancellationToken cancellationToken = default);

    /// <summary>Reads the agent. Throws <see cref="Errors.AgentNotFoundException"/> if it was never registered.</summary>
    // A pure read: runs alongside other reads, never in the middle of a write.
    [Alias("get"), ReadOnly]
    Task<AgentSnapshot> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues a steer directive and sets the current direction. Throws
    /// <see cref="Errors.DirectiveLimitException"/> when <see cref="MeshLimits.MaxUnacknowledgedDirectives"/>
    /// directives are unacknowledged.
    /// </summary>
    [Alias("steer")]
    Task<Directive> SteerAsync(string direction, string? message = null, CancellationToken cancellationToken = default);

    /// <summary>Directives issued after a sequence number, oldest first (acknowledged ones are kept for a while, then compacted).</summary>
    // Reads the directive rows only up to the committed sequence, so it never sees a half-written steer.
    [Alias("directives"), ReadOnly]
    Task<IReadOnlyList<Directive>> GetDirectivesAsync(long afterSequence, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// Acknowledges every directive up to <paramref name="sequence"/>. Throws
    /// <see cref="Errors.StaleEpochException"/> when <paramref name="epoch"/> is not the current one.
    /// Acknowledging a kill directive completes a graceful kill.
    /// </summary>
    [Alias("acknowledge")]
    Task<AgentSnapshot> AcknowledgeAsync(long epoch, long sequence, CancellationToken cancellationToken = default);

    /// <summary>Pushes every new directive to <paramref name="observer"/> until unsubscribed (re-subscribe within a minute).</summary>
    [Alias("subscribe")]
    Task SubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Stops pushing to <paramref name="observer"/>.</summary>
    [Alias("unsubscribe")]
    Task UnsubscribeAsync(IAgentObserver observer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends the agent's heartbeat lease on purpose (its process finished): the agent is not reported
    /// Lost when heartbeats stop. Throws <see cref="Errors.StaleEpochException"/> for another epoch.
    /// </summary>
    [Alias("release-lease")]
    Task ReleaseLeaseAsync(long epoch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Kills the agent: gracefully (Draining, then Killed) or, with Force, at once. Bumps the epoch.
    /// The follow-through (sessions failed, cascade, registry, counters, event) is recorded first and
    /// finishes even if the caller stops waiting; killing a Killed agent finishes any that was interrupted.
    /// </summary>
    [Alias("kill")]
    Task<AgentSnapshot> KillAsync(KillRequest request, CancellationToken cancellationToken = default);
}
