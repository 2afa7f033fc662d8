using Orleans.Concurrency;
using SessionMesh.Errors;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// Answers questions about many sessions from the catalog plus the few sessions a page names.
/// Stateless, so every silo answers locally.
/// </summary>
[StatelessWorker]
[GrainType("sessiondirectory")]
public sealed class SessionDirectoryGrain(ISessionCatalog catalog) : Grain, ISessionDirectoryGrain
{
    /// <summary>The largest page a listing returns.</summary>

    public async Task<SessionPage> ListAsync(SessionStatus? status, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MeshLimits.MaxPage)
        {
            throw new InvalidInputException(nameof(limit), $"must be between 1 and {MeshLimits.MaxPage} (got {limit}).");
        }

        if (status is { } s && !Enum.IsDefined(s))
        {
            throw new InvalidInputException(nameof(status), $"'{s}' is not a session status.");
        }

        var after = PageCursor.ReadCatalog(cursor);

        // One row more than asked tells whether another page exists.
        var entries = await catalog.ListAsync(status, null, limit + 1, after, cancellationToken);
        var pageEntries = entries.Take(limit).ToList();
        var sessions = await SessionReads.ReadAsync(GrainFactory, catalog, [.. pageEntries.Select(e => e.SessionId)], cancellationToken);
        var next = entries.Count > limit ? PageCursor.ForCatalog(pageEntries[^1]) : null;

        // A session retracted between the index read and this one is left out; the cursor still
        // moves past its position.
        return new SessionPage([.. sessions.OfType<SessionSnapshot>()], next);
    }

    public Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default) => catalog.GetStatsAsync(cancellationToken);

    public async Task<IReadOnlyList<SessionSnapshot>> GetLineageAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        var ids = await GrainFactory.GetGrain<ISessionGrain>(sessionId).GetLineageIdsAsync(cancellationToken);
        return await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<ISessionGrain>(id).GetAsync(cancellationToken)));
    }

    public async Task<IReadOnlyList<SessionSnapshot>> GetDescendantsAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        var root = await GrainFactory.GetGrain<ISessionGrain>(sessionId).GetAsync(cancellationToken);
        var descendants = new List<SessionSnapshot>();
        IReadOnlyList<Guid> level = root.ChildSessions;
        while (level.Count > 0)
        {
            var sessions = await Task.WhenAll(level.Select(id => GrainFactory.GetGrain<ISessionGrain>(id).GetAsync(cancellationToken)));
            descendants.AddRange(sessions);
            level = [.. sessions.SelectMany(s => s.ChildSessions)];
        }

        return descendants;
    }

    public async Task<IReadOnlyList<SessionSummary>> GetLineageSummariesAsync(Guid sessionId, CancellationToken cancellationToken = default) =>
        [.. (await GetLineageAsync(sessionId, cancellationToken)).Select(SessionSummary.Of)];

    public async Task<DescendantPage> GetDescendantPageAsync(Guid sessionId, int limit, string? cursor, bool includeContext, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MeshLimits.MaxPage)
        {
            throw new InvalidInputException(nameof(limit), $"must be between 1 and {MeshLimits.MaxPage} (got {limit}).");
        }

        // Breadth first; the cursor carries the sessions still to visit, so a page costs its own size.
        var root = await GrainFactory.GetGrain<ISessionGrain>(sessionId).GetAsync(cancellationToken);
        var pending = new Queue<Guid>(PageCursor.ReadDescendants(cursor) ?? root.ChildSessions);
        var page = new List<SessionSnapshot>();
        while (page.Count < limit && pending.TryDequeue(out var id))
        {
            var session = await GrainFactory.GetGrain<ISessionGrain>(id).GetAsync(cancellationToken);
            page.Add(includeContext ? session : session with { Context = new SessionContext { CurrentPhase = session.Context.CurrentPhase } });
            foreach (var child in session.ChildSessions)
            {
                pending.Enqueue(child);
            }
        }

        return new DescendantPage(page, pending.Count > 0 ? PageCursor.ForDescendants(pending) : null);
    }
}
