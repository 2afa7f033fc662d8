using Orleans.Concurrency;

namespace SessionMesh.Sessions;

/// <summary>
/// Questions about many sessions: listings, stats, lineage and descendants. Answered from the
/// maintained session catalog and the sessions involved, never by calling every session.
/// Use key 0; it runs as a stateless worker on every silo.
/// </summary>
[Alias("SessionMesh.Sessions.ISessionDirectoryGrain")]
public interface ISessionDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Sessions with a status (all when null), newest first, one page at a time.</summary>
    [Alias("list")]
    Task<SessionPage> ListAsync(SessionStatus? status, int limit, string? cursor, CancellationToken cancellationToken = default);

    /// <summary>Counts by status, kept current as transitions happen.</summary>
    [Alias("stats")]
    Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>The chain of sessions from the root down to <paramref name="sessionId"/> (last), with contexts.</summary>
    [Alias("lineage")]
    Task<IReadOnlyList<SessionSnapshot>> GetLineageAsync(Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>Every session handed off below <paramref name="sessionId"/>, breadth first, with contexts.</summary>
    [Alias("descendants")]
    Task<IReadOnlyList<SessionSnapshot>> GetDescendantsAsync(Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>The chain from the root down to <paramref name="sessionId"/> (last) as summaries: no contexts.</summary>
    [Alias("lineage-summaries")]
    Task<IReadOnlyList<SessionSummary>> GetLineageSummariesAsync(Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page (at most <see cref="MeshLimits.MaxPage"/>) of the sessions below <paramref name="sessionId"/>,
    /// breadth first, after an opaque cursor; contexts only when <paramref name="includeContext"/>.
    /// </summary>
    [Alias("descendant-page")]
    Task<DescendantPage> GetDescendantPageAsync(Guid sessionId, int limit, string? cursor, bool includeContext, CancellationToken cancellationToken = default);
}
