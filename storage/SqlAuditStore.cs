using System.Data.Common;
using System.Globalization;
using SessionMesh.Grains.Audit;
using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Storage;

/// <summary>The audit's keyset-paged reads of the catalog, counters and leases; the same SQL on SQLite and PostgreSQL.</summary>
public sealed class SqlAuditStore(DbDataSource dataSource) : IMeshAuditStore
{
    public async Task<IReadOnlyList<CatalogRow>> ListCatalogAsync(Guid? afterSessionId, int limit, CancellationToken cancellationToken)
    {
        // The primary key orders and bounds the page: each page costs the same however far in.
        var (connection, command) = await dataSource.CommandAsync($"""
            SELECT SessionId, Status, AgentId, ParentSessionId FROM SessionCatalog
            WHERE {(afterSessionId is null ? "1 = 1" : "SessionId > @after")}
            ORDER BY SessionId LIMIT @limit;
            """, cancellationToken, afterSessionId is { } after ? [("after", Key(after)), ("limit", limit)] : [("limit", limit)]);
        await using (connection)
        await using (command)
        {
            var rows = new List<CatalogRow>(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new CatalogRow(
                    Guid.ParseExact(reader.GetString(0), "N"),
                    (SessionStatus)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : Guid.ParseExact(reader.GetString(3), "N")));
            }

            return rows;
        }
    }

    public async Task<IReadOnlyList<StatusCount>> CountByStatusAsync(CancellationToken cancellationToken)
    {
        // One statement, so counters and rows come from one snapshot even while sessions change.
        var (connection, command) = await dataSource.CommandAsync("""
            SELECT c.Status, c.Count, (SELECT COUNT(*) FROM SessionCatalog s WHERE s.Status = c.Status)
            FROM SessionCounters c ORDER BY c.Status;
            """, cancellationToken);
        await using (connection)
        await using (command)
        {
            var counts = new List<StatusCount>(4);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counts.Add(new StatusCount(
                    (SessionStatus)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture)));
            }

            return counts;
        }
    }

    public async Task<IReadOnlyList<LeaseKey>> ListLeasesAsync(LeaseKey? after, int limit, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync($"""
            SELECT Kind, Id FROM Leases
            WHERE {(after is null ? "1 = 1" : "(Kind > @kind OR (Kind = @kind AND Id > @id))")}
            ORDER BY Kind, Id LIMIT @limit;
            """, cancellationToken, after is { } k ? [("kind", (int)k.Kind), ("id", k.Id), ("limit", limit)] : [("limit", limit)]);
        await using (connection)
        await using (command)
        {
            var keys = new List<LeaseKey>(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                keys.Add(new LeaseKey((LeaseKind)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1)));
            }

            return keys;
        }
    }

    public async Task<bool> IsLeaseStoredAsync(LeaseKey key, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("SELECT COUNT(*) FROM Leases WHERE Kind = @kind AND Id = @id;", cancellationToken, ("kind", (int)key.Kind), ("id", key.Id));
        await using (connection)
        await using (command)
        {
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) > 0;
        }
    }

    private static string Key(Guid id) => id.ToString("N", CultureInfo.InvariantCulture);
}
