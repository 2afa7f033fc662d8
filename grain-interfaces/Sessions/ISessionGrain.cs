namespace SessionMesh.Sessions;

/// <summary>
/// One agent session. Every lifecycle rule (who may hand off, complete or fail, and when) lives here.
/// Calls to one session are serialized, so of many concurrent transitions exactly one wins.
/// </summary>
public interface ISessionGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Starts this session as a root session. Starting it again with the same spawn returns it unchanged;
    /// with a different one throws <see cref="Errors.SessionAlreadyExistsException"/>.
    /// </summary>
    Task<SessionSnapshot> StartAsync(SessionSpawn spawn, CancellationToken cancellationToken = default);

    /// <summary>Reads the session. Throws <see cref="Errors.SessionNotFoundException"/> if it was never started.</summary>
    Task<SessionSnapshot> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands this Active session off to a new child session and returns the child.
    /// Throws <see cref="Errors.InvalidTransitionException"/> unless this session is Active.
    /// If the child cannot be created this session stays Active.
    /// </summary>
    Task<SessionSnapshot> HandoffAsync(SessionHandoff handoff, CancellationToken cancellationToken = default);

    /// <summary>Marks this Active session Completed.</summary>
    Task<SessionSnapshot> CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks this Active session Failed with an error message.</summary>
    Task<SessionSnapshot> FailAsync(string error, CancellationToken cancellationToken = default);

    /// <summary>The ids from the root session down to this one (this one last).</summary>
    Task<IReadOnlyList<Guid>> GetLineageIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Called by the liveness tracker before a session's first heartbeat starts a lease: throws unless
    /// the session is Active and <paramref name="agentEpoch"/> is the epoch of the agent running it.
    /// </summary>
    Task BeginLeaseAsync(long agentEpoch, CancellationToken cancellationToken = default);

    /// <summary>Called by the liveness tracker when the lease ran out: an Active session fails with "heartbeat timeout".</summary>
    Task LeaseExpiredAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts this session as the child of a handoff. Called only by the parent session.
    /// </summary>
    Task<SessionSnapshot> StartChildAsync(SessionSpawn spawn, IReadOnlyList<Guid> ancestry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Undoes <see cref="StartChildAsync"/> when the parent could not record the handoff.
    /// Called only by the parent session; does nothing if this session is not its untouched child.
    /// </summary>
    Task RetractAsync(Guid parentSession, CancellationToken cancellationToken = default);
}
