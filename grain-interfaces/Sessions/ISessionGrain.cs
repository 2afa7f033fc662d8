using Orleans.Concurrency;
using SessionMesh.Recovery;

namespace SessionMesh.Sessions;

/// <summary>
/// One agent session. Every lifecycle rule (who may hand off, complete or fail, and when) lives here.
/// Calls to one session are serialized, so of many concurrent transitions exactly one wins.
/// Callbacks only other grains make (leases, handoff children) are on an internal protocol interface.
/// </summary>
[Alias("SessionMesh.Sessions.ISessionGrain")]
public interface ISessionGrain : IGrainWithGuidKey, IResumableGrain
{
    /// <summary>
    /// Starts this session as a root session. Starting it again with the same spawn returns it unchanged;
    /// with a different one throws <see cref="Errors.SessionAlreadyExistsException"/>.
    /// </summary>
    [Alias("start")]
    Task<SessionSnapshot> StartAsync(SessionSpawn spawn, CancellationToken cancellationToken = default);

    /// <summary>Reads the session. Throws <see cref="Errors.SessionNotFoundException"/> if it was never started.</summary>
    // A pure read: runs alongside other reads, never in the middle of a write (so it never sees uncommitted state).
    [Alias("get"), ReadOnly]
    Task<SessionSnapshot> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands this Active session off to a new child session and returns the child.
    /// Throws <see cref="Errors.InvalidTransitionException"/> unless this session is Active, or the
    /// handoff names (<see cref="SessionHandoff.ChildSessionId"/>) the child it already made.
    /// If the child cannot be created this session stays Active.
    /// </summary>
    [Alias("handoff")]
    Task<SessionSnapshot> HandoffAsync(SessionHandoff handoff, CancellationToken cancellationToken = default);

    /// <summary>Marks this Active session Completed.</summary>
    [Alias("complete")]
    Task<SessionSnapshot> CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks this Active session Failed with an error message.</summary>
    [Alias("fail")]
    Task<SessionSnapshot> FailAsync(string error, CancellationToken cancellationToken = default);

    /// <summary>The ids from the root session down to this one (this one last).</summary>
    // A pure read: runs alongside other reads.
    [Alias("lineage-ids"), ReadOnly]
    Task<IReadOnlyList<Guid>> GetLineageIdsAsync(CancellationToken cancellationToken = default);
}
