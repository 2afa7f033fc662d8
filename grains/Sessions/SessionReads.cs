using SessionMesh.Errors;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// Reads the sessions a page names (listings, discovery): one query for their rows instead of a
/// call to each session grain, so a page neither activates a hundred grains nor waits behind their
/// writes, and costs the same whether the sessions were in use or idle for days. A row holds what
/// its grain acknowledged last (state and row are written by one statement). Only a session
/// without such a row — none any more, or stored before migration 014 — is asked of its grain.
/// </summary>
public static class SessionReads
{
    /// <summary>The sessions in the order of <paramref name="sessionIds"/>; null where none exists.</summary>
    public static async Task<SessionSnapshot?[]> ReadAsync(IGrainFactory grains, ISessionCatalog catalog, IReadOnlyList<Guid> sessionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(sessionIds);
        var stored = await catalog.ReadAsync(sessionIds, cancellationToken);
        return await Task.WhenAll(sessionIds.Select(id => stored.TryGetValue(id, out var session)
            ? Task.FromResult<SessionSnapshot?>(session)
            : TryGetAsync(grains, id, cancellationToken)));
    }

    private static async Task<SessionSnapshot?> TryGetAsync(IGrainFactory grains, Guid sessionId, CancellationToken cancellationToken)
    {
        try
        {
            return await grains.GetGrain<ISessionGrain>(sessionId).GetAsync(cancellationToken);
        }
        catch (SessionNotFoundException)
        {
            return null; // retracted between the index read and now
        }
    }
}
