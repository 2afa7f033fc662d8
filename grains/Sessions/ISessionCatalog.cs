using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// The maintained index of sessions by status and creation time, with per-status counters kept in
/// step by the database itself. Session grains are its only writers (one row each, upserted
/// idempotently); listings and stats read it in time independent of how many sessions exist.
/// </summary>
public interface ISessionCatalog
{
    /// <summary>Creates or updates the session's row (and so the counters).</summary>
    Task RecordAsync(SessionSnapshot session, CancellationToken cancellationToken);

    /// <summary>The status the catalog holds for a session, or null if it holds none.</summary>
    Task<SessionStatus?> GetRecordedStatusAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>Removes the session's row (a retracted handoff child).</summary>
    Task ForgetAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Session ids with a status (all when null), run by one of <paramref name="agentIds"/> (any
    /// agent when null), newest first, after a position.
    /// </summary>
    Task<IReadOnlyList<SessionCatalogEntry>> ListAsync(SessionStatus? status, IReadOnlyCollection<string>? agentIds, int limit, SessionCatalogEntry? after, CancellationToken cancellationToken);

    /// <summary>The counters.</summary>
    Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken);
}

/// <summary>A position in the catalog's newest-first order.</summary>
public readonly record struct SessionCatalogEntry(Guid SessionId, DateTimeOffset CreatedAt);
