using SessionMesh.Grains.Liveness;
using SessionMesh.Liveness;

namespace SessionMesh.Silo.Storage;

/// <summary>Liveness membership rows in the embedded SQLite database (migration 005).</summary>
public sealed class SqliteLeaseStore(GatedSqliteDataSource dataSource) : ILeaseStore
{
    public async Task UpsertAsync(int shard, LeaseKey key, long epoch, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = """
            INSERT INTO Leases (Kind, Id, Shard, Epoch, TtlMs) VALUES ($kind, $id, $shard, $epoch, $ttl)
            ON CONFLICT (Kind, Id) DO UPDATE SET Shard = excluded.Shard, Epoch = excluded.Epoch, TtlMs = excluded.TtlMs;
            """;
        command.Parameters.AddWithValue("$kind", (int)key.Kind);
        command.Parameters.AddWithValue("$id", key.Id);
        command.Parameters.AddWithValue("$shard", shard);
        command.Parameters.AddWithValue("$epoch", epoch);
        command.Parameters.AddWithValue("$ttl", (long)ttl.TotalMilliseconds);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(LeaseKey key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "DELETE FROM Leases WHERE Kind = $kind AND Id = $id;";
        command.Parameters.AddWithValue("$kind", (int)key.Kind);
        command.Parameters.AddWithValue("$id", key.Id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredLease>> LoadAsync(int shard, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenGatedAsync(cancellationToken);
        await using var command = connection.CreateGatedCommand();
        command.CommandText = "SELECT Kind, Id, Epoch, TtlMs FROM Leases WHERE Shard = $shard;";
        command.Parameters.AddWithValue("$shard", shard);
        var leases = new List<StoredLease>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new StoredLease(
                new LeaseKey((LeaseKind)reader.GetInt32(0), reader.GetString(1)),
                reader.GetInt64(2),
                TimeSpan.FromMilliseconds(reader.GetInt64(3))));
        }

        return leases;
    }
}
