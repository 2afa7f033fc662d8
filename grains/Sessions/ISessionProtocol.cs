using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// What only other grains may ask of a session (the liveness tracker, the parent of a handoff).
/// Internal: client applications referencing the grain interfaces cannot call it.
/// </summary>
[Alias("SessionMesh.Grains.Sessions.ISessionProtocol")]
internal interface ISessionProtocol : IGrainWithGuidKey
{
    /// <summary>
    /// Called by the liveness tracker before a session's first heartbeat starts a lease: throws unless
    /// the session is Active and <paramref name="agentEpoch"/> is the epoch of the agent running it.
    /// </summary>
    [Alias("begin-lease")]
    Task BeginLeaseAsync(long agentEpoch, CancellationToken cancellationToken = default);

    /// <summary>Called by the liveness tracker when the lease ran out: an Active session fails with "heartbeat timeout".</summary>
    [Alias("lease-expired")]
    Task LeaseExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts this session as the child of a handoff in one transaction with the parent's own write
    /// (<paramref name="parent"/>: the parent HandedOff to this child): both rows are stored or
    /// neither is. Called only by the parent session; refuses an id already in use.
    /// </summary>
    [Alias("start-handed-off-child")]
    Task<SessionSnapshot> StartHandedOffChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, HandoffParentWrite parent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts this session as the child of a recorded handoff (an intent a build before one-transaction
    /// handoffs wrote; called by its parent finishing it, and by such builds during a rolling upgrade).
    /// Idempotent: a second call from the same parent returns the child already made.
    /// </summary>
    [Alias("start-child")]
    Task<SessionSnapshot> StartChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Undoes <see cref="StartChildAsync"/> when the parent could not record a recorded handoff.
    /// Called only by the parent session; does nothing if this session is not its untouched child.
    /// </summary>
    [Alias("retract")]
    Task RetractAsync(Guid parentSession, CancellationToken cancellationToken = default);
}
