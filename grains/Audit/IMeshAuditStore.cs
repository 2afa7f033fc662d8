using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Audit;

/// <summary>
/// Keyset-paged reads of the maintained tables for the audit. Each call reads one bounded page, so
/// an audit of any size never holds more than a page in memory. Never used on a hot path.
/// </summary>
public interface IMeshAuditStore
{
    /// <summary>Catalog rows ordered by session id, after <paramref name="afterSessionId"/>.</summary>
    Task<IReadOnlyList<CatalogRow>> ListCatalogAsync(Guid? afterSessionId, int limit, CancellationToken cancellationToken);

    /// <summary>Each status's counter and the number of catalog rows with it, read in one statement (one snapshot).</summary>
    Task<IReadOnlyList<StatusCount>> CountByStatusAsync(CancellationToken cancellationToken);

    /// <summary>Stored leases ordered by (kind, id), after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<LeaseKey>> ListLeasesAsync(LeaseKey? after, int limit, CancellationToken cancellationToken);

    /// <summary>Whether a lease row is stored for the key right now (a re-check before reporting).</summary>
    Task<bool> IsLeaseStoredAsync(LeaseKey key, CancellationToken cancellationToken);
}

/// <summary>A session catalog row as stored.</summary>
public readonly record struct CatalogRow(Guid SessionId, SessionStatus Status, string? AgentId, Guid? ParentSessionId);

/// <summary>A status's maintained counter beside the catalog's actual count.</summary>
public readonly record struct StatusCount(SessionStatus Status, long Counter, long Rows);
