using System.Data.Common;
using System.Globalization;
using SessionMesh.Grains.Liveness;
using SessionMesh.Liveness;

namespace SessionMesh.Storage;

/// <summary>Liveness membership rows (migration 005), the same statements on SQLite and PostgreSQL.</summary>
public sealed class SqlLeaseStore(DbDataSource dataSource) : ILeaseStore
{
    public async Task UpsertAsync(int shard, LeaseKey key, long epoch, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("""
            INSERT INTO Leases (Kind, Id, Shard, Epoch, TtlMs) VALUES (@kind, @id, @shard, @epoch, @ttl)
            ON CONFLICT (Kind, Id) DO UPDATE SET Shard = excluded.Shard, Epoch = excluded.Epoch, TtlMs = excluded.TtlMs;
            """, cancellationToken, ("kind", (int)key.Kind), ("id", key.Id), ("shard", shard), ("epoch", epoch), ("ttl", (long)ttl.TotalMilliseconds));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task RemoveAsync(LeaseKey key, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("DELETE FROM Leases WHERE Kind = @kind AND Id = @id;", cancellationToken, ("kind", (int)key.Kind), ("id", key.Id));
        await using (connection)
        await using (command)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<StoredLease>> LoadAsync(int shard, CancellationToken cancellationToken)
    {
        var (connection, command) = await dataSource.CommandAsync("SELECT Kind, Id, Epoch, TtlMs FROM Leases WHERE Shard = @shard;", cancellationToken, ("shard", shard));
        await using (connection)
        await using (command)
        {
            var leases = new List<StoredLease>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                leases.Add(new StoredLease(
                    new LeaseKey((LeaseKind)Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), reader.GetString(1)),
                    reader.GetInt64(2),
                    TimeSpan.FromMilliseconds(reader.GetInt64(3))));
            }

            return leases;
        }
    }
}
