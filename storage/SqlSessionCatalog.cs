using System.Data.Common;
using System.Globalization;
using Orleans.Serialization;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;

namespace SessionMesh.Storage;

/// <summary>Reads of the session catalog (migrations 004 and 014; its rows are written by <see cref="SessionStateStorage"/>): the same statements on SQLite and PostgreSQL.</summary>
public sealed class SqlSessionCatalog(DbDataSource dataSource, Serializer serializer) : ISessionCatalog
{
    public async Task<SessionStatus?> GetRecordedStatusAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("SELECT Status FROM SessionCatalog WHERE SessionId = @id;", cancellationToken, ("id", Key(sessionId)));
        await using (connection)
        await using (command)
        {
            return await command.ExecuteScalarAsync(cancellationToken) is { } status and not DBNull
                ? (SessionStatus)Convert.ToInt32(status, CultureInfo.InvariantCulture)
                : null;
        }
    }

    public async Task<IReadOnlyList<SessionCatalogEntry>> ListAsync(SessionStatus? status, IReadOnlyCollection<string>? agentIds, int limit, SessionCatalogEntry? after, CancellationToken cancellationToken)
    {
        // Keyset paging on (CreatedTicks, SessionId), served by an index in that order: a page costs
        // the same whether it is the first or the thousandth, however many sessions exist.
        var statusFilter = status is null ? "1 = 1" : "Status = @status";
        var positionFilter = after is null ? "1 = 1" : "(CreatedTicks, SessionId) < (@afterTicks, @afterId)";
        var agents = agentIds?.ToList() ?? [];
        var agentFilter = agentIds is null ? "1 = 1" : $"AgentId IN ({string.Join(", ", agents.Select((_, i) => $"@agent{i}"))})";
        List<(string, object?)> parameters = [("limit", limit)];
        if (status is { } s)
        {
            parameters.Add(("status", (int)s));
        }

        if (after is { } position)
        {
            parameters.Add(("afterTicks", position.At.UtcTicks));
            parameters.Add(("afterId", Key(position.SessionId)));
        }

        parameters.AddRange(agents.Select((a, i) => ($"agent{i}", (object?)a)));
        var (connection, command) = await dataSource.CommandAsync($"""
            SELECT SessionId, CreatedTicks FROM SessionCatalog
            WHERE {statusFilter} AND {agentFilter} AND {positionFilter}
            ORDER BY CreatedTicks DESC, SessionId DESC
            LIMIT @limit;
            """, cancellationToken, [.. parameters]);
        return await ReadEntriesAsync(connection, command, limit, cancellationToken);
    }

    public async Task<IReadOnlyList<SessionCatalogEntry>> ListResumeDueAsync(DateTimeOffset recordedBefore, SessionCatalogEntry? after, int limit, CancellationToken cancellationToken)
    {
        // Served by the partial index on (ResumeTicks, SessionId): only rows holding a handoff are in it.
        var (connection, command) = await dataSource.CommandAsync($"""
            SELECT SessionId, ResumeTicks FROM SessionCatalog
            WHERE ResumeTicks IS NOT NULL AND ResumeTicks < @before
            {(after is null ? "" : "AND (ResumeTicks, SessionId) > (@afterTicks, @afterId)")}
            ORDER BY ResumeTicks, SessionId
            LIMIT @limit;
            """, cancellationToken, after is { } position
                ? [("before", recordedBefore.UtcTicks), ("afterTicks", position.At.UtcTicks), ("afterId", Key(position.SessionId)), ("limit", limit)]
                : [("before", recordedBefore.UtcTicks), ("limit", limit)]);
        return await ReadEntriesAsync(connection, command, limit, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<Guid, SessionSnapshot>> ReadAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        var found = new Dictionary<Guid, SessionSnapshot>(sessionIds.Count);
        if (sessionIds.Count == 0)
        {
            return found;
        }

        // Primary-key lookups, one per id: the cost is the page, not the catalog.
        var keys = sessionIds.Select((id, i) => ($"id{i}", (object?)Key(id))).ToArray();
        var (connection, command) = await dataSource.CommandAsync(
            $"SELECT Payload FROM SessionCatalog WHERE SessionId IN ({string.Join(", ", keys.Select(k => "@" + k.Item1))}) AND Payload IS NOT NULL;",
            cancellationToken, keys);
        await using (connection)
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (serializer.Deserialize<SessionState>((byte[])reader.GetValue(0))?.Session is { } session)
                {
                    found[session.Id] = session;
                }
            }
        }

        return found;
    }

    public async Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("SELECT Status, Count FROM SessionCounters;", cancellationToken);
        await using (connection)
        await using (command)
        {
            var counts = new long[4];
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            }

            return new SessionStats(counts.Sum(), counts[(int)SessionStatus.Active], counts[(int)SessionStatus.HandedOff], counts[(int)SessionStatus.Completed], counts[(int)SessionStatus.Failed]);
        }
    }

    /// <summary>Reads (session id, ticks) rows into positions, then closes the command and its connection.</summary>
    private static async Task<IReadOnlyList<SessionCatalogEntry>> ReadEntriesAsync(DbConnection connection, DbCommand command, int limit, CancellationToken cancellationToken)
    {
        await using (connection)
        await using (command)
        {
            var entries = new List<SessionCatalogEntry>(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(new SessionCatalogEntry(Guid.ParseExact(reader.GetString(0), "N"), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero)));
            }

            return entries;
        }
    }

    private static string Key(Guid id) => id.ToString("N", CultureInfo.InvariantCulture);
}
