namespace SessionMesh.Sessions;

/// <summary>
/// Questions about many sessions: listings, stats, lineage and descendants. Answered from the
/// maintained session catalog and the sessions involved, never by calling every session.
/// Use key 0; it runs as a stateless worker on every silo.
/// </summary>
public interface ISessionDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Sessions with a status (all when null), newest first, one page at a time.</summary>
    Task<SessionPage> ListAsync(SessionStatus? status, int limit, string? cursor, CancellationToken cancellationToken = default);

    /// <summary>Counts by status, kept current as transitions happen.</summary>
    Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>The chain of sessions from the root down to <paramref name="sessionId"/> (last).</summary>
    Task<IReadOnlyList<SessionSnapshot>> GetLineageAsync(Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>Every session handed off below <paramref name="sessionId"/>, breadth first.</summary>
    Task<IReadOnlyList<SessionSnapshot>> GetDescendantsAsync(Guid sessionId, CancellationToken cancellationToken = default);
}
