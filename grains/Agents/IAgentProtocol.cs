using Orleans.Concurrency;

namespace SessionMesh.Grains.Agents;

/// <summary>
/// What only other grains may ask of an agent (its sessions, the liveness tracker). Internal: client
/// applications referencing the grain interfaces cannot call it. See grains/CallGraph.md: sessions
/// never wait on an agent's turn, so a kill (agent → sessions) can never meet a handoff in a cycle.
/// </summary>
[Alias("SessionMesh.Grains.Agents.IAgentProtocol")]
internal interface IAgentProtocol : IGrainWithStringKey
{
    /// <summary>
    /// Asked by a session before (and again right after) it stores itself as run by this agent:
    /// returns the agent's epoch, or throws if the agent is Killed or Draining. Writes nothing, so it
    /// may interleave with anything, including a kill that is waiting on this very session.
    /// </summary>
    [Alias("attach-session"), AlwaysInterleave]
    Task<long> AttachSessionAsync(Guid sessionId);

    /// <summary>
    /// The agent's current epoch (a kill bumps it). Read by a session right after it stored itself, to
    /// learn whether a kill raced its start; interleaves for the same reason as <see cref="AttachSessionAsync"/>.
    /// </summary>
    [Alias("current-epoch"), AlwaysInterleave]
    Task<long> GetEpochAsync();

    /// <summary>A session of this agent was stored as Active (one-way): the agent becomes Busy with it.</summary>
    [OneWay, Alias("session-started")]
    Task SessionStartedAsync(Guid sessionId, long epoch);

    /// <summary>A session this agent ran left Active (one-way): the agent goes back to Idle.</summary>
    [OneWay, Alias("session-ended")]
    Task SessionEndedAsync(Guid sessionId);

    /// <summary>Called by the liveness tracker before it starts a lease: throws if the epoch or status forbids it.</summary>
    [Alias("begin-lease")]
    Task BeginLeaseAsync(long epoch, CancellationToken cancellationToken = default);

    /// <summary>Called by the liveness tracker when the lease ran out: the agent becomes Lost (or Killed if Draining).</summary>
    [Alias("lease-expired")]
    Task LeaseExpiredAsync(long epoch, CancellationToken cancellationToken = default);
}
