using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// The maintained index of sessions by status and creation time, with per-status counters kept in
/// step by the database itself. Its rows are written only by the session grains' storage (a row
/// holds the session's state too, see MeshStorage.Sessions); listings and stats read it in time
/// independent of how many sessions exist.
/// </summary>
public interface ISessionCatalog
{
    /// <summary>The status the catalog holds for a session, or null if it holds none.</summary>
    Task<SessionStatus?> GetRecordedStatusAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Session ids with a status (all when null), run by one of <paramref name="agentIds"/> (any
    /// agent when null), newest first, after a position.
    /// </summary>
    Task<IReadOnlyList<SessionCatalogEntry>> ListAsync(SessionStatus? status, IReadOnlyCollection<string>? agentIds, int limit, SessionCatalogEntry? after, CancellationToken cancellationToken);

    /// <summary>
    /// Sessions holding a handoff recorded before <paramref name="recordedBefore"/>, oldest first,
    /// after a position (an index walk: the cost is the page, not the number of sessions).
    /// </summary>
    Task<IReadOnlyList<SessionCatalogEntry>> ListResumeDueAsync(DateTimeOffset recordedBefore, SessionCatalogEntry? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The sessions among <paramref name="sessionIds"/> as last written, read in one query from their
    /// rows — what their grains hold once a write is acknowledged — without activating them. A
    /// session without a row holding its state (none, or one written before migration 014) is left
    /// out; ask its grain.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, SessionSnapshot>> ReadAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken);

    /// <summary>The counters.</summary>
    Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A position in one of the catalog's orders: the session id and the time that order sorts by
/// (its creation for listings, its recorded handoff for <see cref="ISessionCatalog.ListResumeDueAsync"/>).
/// </summary>
public readonly record struct SessionCatalogEntry(Guid SessionId, DateTimeOffset At);
