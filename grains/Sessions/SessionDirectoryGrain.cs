using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Orleans.Concurrency;
using SessionMesh.Errors;
using SessionMesh.Sessions;

namespace SessionMesh.Grains.Sessions;

/// <summary>
/// Answers questions about many sessions from the catalog plus the few sessions a page names.
/// Stateless, so every silo answers locally.
/// </summary>
[StatelessWorker]
public sealed class SessionDirectoryGrain(ISessionCatalog catalog) : Grain, ISessionDirectoryGrain
{
    /// <summary>The largest page a listing returns.</summary>
    public const int MaxPageSize = 500;

    public async Task<SessionPage> ListAsync(SessionStatus? status, int limit, string? cursor, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            throw new InvalidInputException("limit", $"must be between 1 and {MaxPageSize} (got {limit}).");
        }

        if (status is { } s && !Enum.IsDefined(s))
        {
            throw new InvalidInputException("status", $"'{s}' is not a session status.");
        }

        var after = cursor is null ? (SessionCatalogEntry?)null : DecodeCursor(cursor);

        // One row more than asked tells whether another page exists.
        var entries = await catalog.ListAsync(status, limit + 1, after, cancellationToken);
        var pageEntries = entries.Take(limit).ToList();
        var sessions = await Task.WhenAll(pageEntries.Select(e => GrainFactory.GetGrain<ISessionGrain>(e.SessionId).GetAsync(cancellationToken)));
        var next = entries.Count > limit ? EncodeCursor(pageEntries[^1]) : null;
        return new SessionPage(sessions, next);
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

    private static string EncodeCursor(SessionCatalogEntry entry)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{entry.CreatedAt.UtcTicks}:{entry.SessionId:N}");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));
    }

    private static SessionCatalogEntry DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var parts = text.Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && Guid.TryParseExact(parts[1], "N", out var id)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                return new SessionCatalogEntry(id, new DateTimeOffset(ticks, TimeSpan.Zero));
            }
        }
        catch (FormatException)
        {
        }

        throw new InvalidInputException("cursor", "is not a cursor this service issued.");
    }
}
