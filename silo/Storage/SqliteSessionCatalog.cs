using System.Globalization;
using Microsoft.Data.Sqlite;
using SessionMesh.Grains.Sessions;
using SessionMesh.Sessions;

namespace SessionMesh.Silo.Storage;

/// <summary>The session catalog in the embedded SQLite database (tables from migration 004).</summary>
public sealed class SqliteSessionCatalog(GatedSqliteDataSource dataSource) : ISessionCatalog
{
    public async Task RecordAsync(SessionSnapshot session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = """
            INSERT INTO SessionCatalog (SessionId, Status, CreatedTicks, AgentName, AgentId, ParentSessionId)
            VALUES ($id, $status, $created, $agent, $agentId, $parent)
            ON CONFLICT (SessionId) DO UPDATE SET Status = excluded.Status
            WHERE SessionCatalog.Status <> excluded.Status;
            """;
        command.Parameters.AddWithValue("$id", Key(session.Id));
        command.Parameters.AddWithValue("$status", (int)session.Status);
        command.Parameters.AddWithValue("$created", session.CreatedAt.UtcTicks);
        command.Parameters.AddWithValue("$agent", session.AgentName);
        command.Parameters.AddWithValue("$agentId", (object?)session.AgentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$parent", session.ParentSession is { } parent ? Key(parent) : DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SessionStatus?> GetRecordedStatusAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "SELECT Status FROM SessionCatalog WHERE SessionId = $id;";
        command.Parameters.AddWithValue("$id", Key(sessionId));
        return await command.ExecuteScalarAsync(cancellationToken) is long status ? (SessionStatus)status : null;
    }

    public async Task ForgetAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "DELETE FROM SessionCatalog WHERE SessionId = $id;";
        command.Parameters.AddWithValue("$id", Key(sessionId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SessionCatalogEntry>> ListAsync(SessionStatus? status, IReadOnlyCollection<string>? agentIds, int limit, SessionCatalogEntry? after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();

        // Keyset paging on (CreatedTicks, SessionId), served by an index in that order: a page costs
        // the same whether it is the first or the thousandth, however many sessions exist.
        var statusFilter = status is null ? "1 = 1" : "Status = $status";
        var positionFilter = after is null ? "1 = 1" : "(CreatedTicks, SessionId) < ($afterTicks, $afterId)";
        var agentFilter = agentIds is null ? "1 = 1" : $"AgentId IN ({string.Join(", ", agentIds.Select((_, i) => $"$agent{i}"))})";
        command.CommandText = $"""
            SELECT SessionId, CreatedTicks FROM SessionCatalog
            WHERE {statusFilter} AND {agentFilter} AND {positionFilter}
            ORDER BY CreatedTicks DESC, SessionId DESC
            LIMIT $limit;
            """;
        if (status is { } s)
        {
            command.Parameters.AddWithValue("$status", (int)s);
        }

        if (after is { } position)
        {
            command.Parameters.AddWithValue("$afterTicks", position.CreatedAt.UtcTicks);
            command.Parameters.AddWithValue("$afterId", Key(position.SessionId));
        }

        foreach (var (agentId, i) in (agentIds ?? []).Select((a, i) => (a, i)))
        {
            command.Parameters.AddWithValue($"$agent{i}", agentId);
        }

        command.Parameters.AddWithValue("$limit", limit);
        var entries = new List<SessionCatalogEntry>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new SessionCatalogEntry(
                Guid.ParseExact(reader.GetString(0), "N"),
                new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero)));
        }

        return entries;
    }

    public async Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "SELECT Status, Count FROM SessionCounters;";
        var counts = new long[4];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return new SessionStats(counts.Sum(), counts[(int)SessionStatus.Active], counts[(int)SessionStatus.HandedOff], counts[(int)SessionStatus.Completed], counts[(int)SessionStatus.Failed]);
    }

    private static string Key(Guid id) => id.ToString("N", CultureInfo.InvariantCulture);
}
