using System.Data.Common;
using System.Globalization;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;

namespace SessionMesh.Silo.Storage;

/// <summary>The session catalog in SQL (migration 004): the same statements on SQLite and PostgreSQL.</summary>
public sealed class SqlSessionCatalog(DbDataSource dataSource) : ISessionCatalog
{
    public async Task RecordAsync(SessionSnapshot session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var (connection, command) = await dataSource.CommandAsync("""
            INSERT INTO SessionCatalog (SessionId, Status, CreatedTicks, AgentName, AgentId, ParentSessionId)
            VALUES (@id, @status, @created, @agent, @agentId, @parent)
            ON CONFLICT (SessionId) DO UPDATE SET Status = excluded.Status
            WHERE SessionCatalog.Status <> excluded.Status;
            """, cancellationToken,
            ("id", Key(session.Id)), ("status", (int)session.Status), ("created", session.CreatedAt.UtcTicks),
            ("agent", session.AgentName), ("agentId", session.AgentId), ("parent", session.ParentSession is { } parent ? Key(parent) : null));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

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

    public async Task ForgetAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("DELETE FROM SessionCatalog WHERE SessionId = @id;", cancellationToken, ("id", Key(sessionId)));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
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
            parameters.Add(("afterTicks", position.CreatedAt.UtcTicks));
            parameters.Add(("afterId", Key(position.SessionId)));
        }

        parameters.AddRange(agents.Select((a, i) => ($"agent{i}", (object?)a)));
        var (connection, command) = await dataSource.CommandAsync($"""
            SELECT SessionId, CreatedTicks FROM SessionCatalog
            WHERE {statusFilter} AND {agentFilter} AND {positionFilter}
            ORDER BY CreatedTicks DESC, SessionId DESC
            LIMIT @limit;
            """, cancellationToken, [.. parameters]);
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

    private static string Key(Guid id) => id.ToString("N", CultureInfo.InvariantCulture);
}
