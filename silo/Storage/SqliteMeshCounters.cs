using SessionMesh.Grains.Liveness;

namespace SessionMesh.Silo.Storage;

/// <summary>Event counters in the embedded SQLite database (migration 005).</summary>
public sealed class SqliteMeshCounters(GatedSqliteDataSource dataSource) : IMeshCounters
{
    public async Task IncrementAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = """
            INSERT INTO MeshCounters (Name, Count) VALUES ($name, 1)
            ON CONFLICT (Name) DO UPDATE SET Count = Count + 1;
            """;
        command.Parameters.AddWithValue("$name", name);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "SELECT Name, Count FROM MeshCounters;";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }
}
