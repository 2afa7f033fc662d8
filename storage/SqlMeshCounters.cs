using System.Data.Common;
using SessionMesh.Grains.Liveness;

namespace SessionMesh.Storage;

/// <summary>Event counters (migration 005), the same statements on SQLite and PostgreSQL.</summary>
public sealed class SqlMeshCounters(DbDataSource dataSource) : IMeshCounters
{
    public async Task IncrementAsync(string name, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("""
            INSERT INTO MeshCounters (Name, Count) VALUES (@name, 1)
            ON CONFLICT (Name) DO UPDATE SET Count = MeshCounters.Count + 1;
            """, cancellationToken, ("name", name));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("SELECT Name, Count FROM MeshCounters;", cancellationToken);
        await using (connection)
        await using (command)
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }

            return counts;
        }
    }
}
